import { createHash } from 'node:crypto';
import { CacheKeyError } from '../errors/cache-key.error';
import { CacheKeyTemplateError } from '../errors/cache-key-template.error';
import { encodeKeySegment } from './key-segment-encoding';

/** Logical keys longer than this are replaced by a short prefix and a hash of the key. */
export const MAX_LOGICAL_KEY_LENGTH = 512;

/** A hashed key keeps its text up to the last ':' within this many characters, to stay readable. */
const HASHED_KEY_PREFIX_LENGTH = 64;

export type KeyTemplateFunction = (...args: any[]) => string | unknown[];

/**
 * `'product:{0}'`, `'user:{0.id}:orders'`, `'order:{1.customer.id}:{0}'`: arguments by
 * position, then own properties (an omitted argument or an absent property is
 * `undefined`, a segment of its own); or a function of the arguments returning the key, or
 * the segments to encode and join with ':'.
 */
export type KeyTemplate = string | KeyTemplateFunction;

/** The decorated method, named in error messages. */
export interface KeyTemplateSite {
  className: string;
  methodName: string;
}

export type CompiledKeyTemplate = (args: unknown[]) => string;

interface Placeholder {
  index: number;
  path: string[];
  /** `{0.id}`, for error messages. */
  text: string;
}

// Neither set contains '#', '%', '{' or '}': see hashLongKey for why '#' matters.
const LITERAL_CHAR = /^[A-Za-z0-9_.:/-]$/;
const PLACEHOLDER_BODY = /^(?:0|[1-9]\d*)(?:\.(?:[A-Za-z_$][\w$]*|\d+))*$/;
// ':' and '/' are escaped in every value, so text containing one ends a value unambiguously.
const VALUE_SEPARATOR = /[:/]/;
const FORBIDDEN_PROPERTIES = new Set(['__proto__', 'constructor', 'prototype']);
const RETURNED_KEY_TEXT = /^[\x20-\x7e]+$/;
const RETURNED_KEY_FORBIDDEN = /[{}#]/;

/**
 * Compiles a key template once, at decoration time, into a function from a call's
 * arguments to its logical key. Malformed templates fail here, not on the first call.
 *
 * @param declaredParamCount when given, a placeholder naming an argument past it is an error
 * @throws CacheKeyTemplateError naming `Class.method`, the template and the problem
 */
export function compileKeyTemplate(
  template: KeyTemplate,
  site: KeyTemplateSite,
  declaredParamCount?: number,
): CompiledKeyTemplate {
  const where = `${site.className}.${site.methodName}`;
  if (typeof template === 'function') return compileKeyFunction(template, where);
  if (typeof template !== 'string') {
    throw new CacheKeyTemplateError(`${where}: key template must be a string or a function`);
  }
  return compileKeyString(template, where, declaredParamCount);
}

function compileKeyString(
  template: string,
  where: string,
  declaredParamCount: number | undefined,
): CompiledKeyTemplate {
  const context = `${where}: key template '${template}'`;
  const { literals, placeholders } = parseTemplate(template, context, declaredParamCount);
  if (placeholders.length === 0) {
    const constant = finishKey(template);
    return () => constant;
  }
  return (args) => {
    let key = literals[0];
    for (let i = 0; i < placeholders.length; i++) {
      key += encodePlaceholder(placeholders[i], args, context) + literals[i + 1];
    }
    return finishKey(key);
  };
}

function parseTemplate(
  template: string,
  context: string,
  declaredParamCount: number | undefined,
): { literals: string[]; placeholders: Placeholder[] } {
  const fail = (problem: string): never => {
    throw new CacheKeyTemplateError(`${context} ${problem}`);
  };
  if (template.length === 0) fail('is empty');
  const literals: string[] = [];
  const placeholders: Placeholder[] = [];
  let literal = '';
  let i = 0;
  while (i < template.length) {
    const char = template[i];
    if (char === '{') {
      const close = template.indexOf('}', i + 1);
      const reopen = template.indexOf('{', i + 1);
      if (close === -1 || (reopen !== -1 && reopen < close)) {
        fail(`has an unclosed '{' at position ${i}`);
      }
      const body = template.slice(i + 1, close);
      const text = `{${body}}`;
      if (body === '') fail(`has an empty placeholder '{}' at position ${i}`);
      if (!PLACEHOLDER_BODY.test(body)) {
        fail(
          `has a malformed placeholder '${text}' at position ${i}: expected an argument index and optional property names, like {0} or {0.id}`,
        );
      }
      const [indexText, ...path] = body.split('.');
      const forbidden = path.find((segment) => FORBIDDEN_PROPERTIES.has(segment));
      if (forbidden !== undefined) {
        fail(`reads the forbidden property '${forbidden}' in '${text}'`);
      }
      const index = Number(indexText);
      if (declaredParamCount !== undefined && index >= declaredParamCount) {
        fail(`names argument ${index} but the method declares ${declaredParamCount} parameter(s)`);
      }
      if (placeholders.length > 0 && !VALUE_SEPARATOR.test(literal)) {
        const previous = placeholders[placeholders.length - 1].text;
        fail(
          `has '${previous}' and '${text}' without ':' or '/' between them, so their values could run together and collide`,
        );
      }
      literals.push(literal);
      placeholders.push({ index, path, text });
      literal = '';
      i = close + 1;
    } else if (char === '}') {
      fail(`has an unmatched '}' at position ${i}`);
    } else if (!LITERAL_CHAR.test(char)) {
      const shown = JSON.stringify(String.fromCodePoint(template.codePointAt(i) ?? 0));
      fail(
        `has the character ${shown} at position ${i}; literal text may contain only letters, digits and _ . : / -`,
      );
    } else {
      literal += char;
      i++;
    }
  }
  literals.push(literal);
  return { literals, placeholders };
}

function encodePlaceholder(placeholder: Placeholder, args: unknown[], context: string): string {
  const value = resolvePlaceholder(placeholder, args, context);
  try {
    return encodeKeySegment(value);
  } catch (error) {
    if (!(error instanceof CacheKeyError)) throw error;
    throw new CacheKeyError(`${context}: ${placeholder.text}: ${error.message}`, { cause: error });
  }
}

/**
 * Follows own properties only: a template can't reach a getter on a prototype, or
 * anything through `__proto__`. An omitted argument, or a property that is undefined or
 * absent along the path (an optional parameter, a query field the client left out),
 * makes the value undefined, which has a segment of its own ('%U'), as in `cacheKey`.
 * A property the object has only through its prototype is an error rather than absent,
 * so a getter on a DTO class can't silently send every call to one key; so is null or
 * a primitive where the path needs an object.
 */
function resolvePlaceholder(placeholder: Placeholder, args: unknown[], context: string): unknown {
  const { index, path } = placeholder;
  let value: unknown = args[index];
  const fail = (problem: string): never => {
    throw new CacheKeyTemplateError(`${context} cannot resolve '${placeholder.text}': ${problem}`);
  };
  for (let i = 0; i < path.length; i++) {
    if (value === undefined) return undefined;
    const reached = i === 0 ? `argument ${index}` : [index, ...path.slice(0, i)].join('.');
    if (value === null || typeof value !== 'object') {
      fail(`${reached} is ${describeNonObject(value)}`);
    }
    if (!Object.hasOwn(value as object, path[i])) {
      if (path[i] in (value as object)) {
        fail(
          `${reached} has '${path[i]}' only through its prototype; templates read own properties only (use a key function for a getter)`,
        );
      }
      return undefined;
    }
    value = (value as Record<string, unknown>)[path[i]];
  }
  return value;
}

function describeNonObject(value: unknown): string {
  if (value === null) return 'null';
  return `a ${typeof value}, not an object`;
}

function compileKeyFunction(template: KeyTemplateFunction, where: string): CompiledKeyTemplate {
  const context = `${where}: key template function`;
  return (args) => {
    let result: unknown;
    try {
      result = template(...args);
    } catch (error) {
      throw new CacheKeyTemplateError(
        `${context} threw: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      );
    }
    if (typeof result === 'string') {
      // Used as is, so it must not carry what the hash tag or hashed keys rely on.
      if (!RETURNED_KEY_TEXT.test(result) || RETURNED_KEY_FORBIDDEN.test(result)) {
        throw new CacheKeyTemplateError(
          `${context} returned ${describeReturnedKey(result)}; a returned string must be non-empty printable ASCII without '{', '}' or '#' (return an array to have values encoded)`,
        );
      }
      return finishKey(result);
    }
    if (Array.isArray(result)) {
      if (result.length === 0) {
        throw new CacheKeyTemplateError(`${context} returned an empty array`);
      }
      let key: string;
      try {
        key = result.map((part) => encodeKeySegment(part)).join(':');
      } catch (error) {
        if (!(error instanceof CacheKeyError)) throw error;
        throw new CacheKeyError(`${context}: ${error.message}`, { cause: error });
      }
      if (key === '') throw new CacheKeyTemplateError(`${context} returned an empty key`);
      return finishKey(key);
    }
    throw new CacheKeyTemplateError(
      `${context} returned ${result === null ? 'null' : typeof result}; expected a string or an array`,
    );
  };
}

function describeReturnedKey(key: string): string {
  if (key === '') return 'an empty string';
  const shown = key.length > 80 ? `${key.slice(0, 80)}...` : key;
  return JSON.stringify(shown);
}

/**
 * The logical key as is, or hashed when longer than {@link MAX_LOGICAL_KEY_LENGTH}. One
 * rule for every path (templates, key functions, `cacheKey()`, keys given as strings), a
 * function of the key text alone: so `'shop:product:{0}'` and `cacheKey('shop', 'product', id)`
 * name the same Redis key however long `id` is.
 */
export function finishKey(key: string): string {
  return key.length > MAX_LOGICAL_KEY_LENGTH ? hashLongKey(key) : key;
}

/** A hashed key's readable part: the text up to the last ':' in its first characters. */
function readablePrefix(key: string): string {
  return key.slice(0, key.lastIndexOf(':', HASHED_KEY_PREFIX_LENGTH - 1) + 1);
}

/**
 * `<prefix>#<base64url sha256 of the whole key>`. Values always escape '#' and template
 * literals can't contain it, so a hashed key can never equal an unhashed one; SHA-256
 * keeps two long keys apart. The prefix only keeps keys readable in Redis.
 */
function hashLongKey(key: string): string {
  return `${readablePrefix(key)}#${createHash('sha256').update(key).digest('base64url')}`;
}
