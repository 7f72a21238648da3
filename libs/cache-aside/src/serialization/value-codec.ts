import { types } from 'node:util';
import { CacheCorruptEntryError } from '../errors/cache-corrupt-entry.error';
import { CacheSerializationError } from '../errors/cache-serialization.error';

/*
 * Text format ("JSON plus annotations"):
 *
 *   J<json>                         the value is plain JSON; decode is one JSON.parse
 *   A[<tree>,[[<path>,<tag>],...]]  a JSON tree plus the places holding special values
 *
 * Each annotation's path is a list of keys (strings, into objects) and indices
 * (numbers, into arrays) from the root. Annotations come in post-order, children
 * before parents, so a Map's keys and values are already revived when the Map is
 * built; decoding costs one JSON.parse plus work proportional to the number of
 * special values, not to the size of the tree.
 */

export type PathSegment = string | number;
type Annotation = [PathSegment[], string];
type Container = Record<PathSegment, unknown>;

// Tags are one or two characters: they are repeated in every annotated entry.
const TAG_UNDEFINED = 'u';
const TAG_HOLE = 'h';
const TAG_NAN = 'N';
const TAG_INFINITY = 'I';
const TAG_NEGATIVE_INFINITY = '-I';
const TAG_NEGATIVE_ZERO = '-0';
const TAG_BIGINT = 'b';
const TAG_DATE = 'D';
const TAG_MAP = 'M';
const TAG_SET = 'S';
const TAG_REGEXP = 'R';
const TAG_BUFFER = 'B';
const TAG_UINT8ARRAY = 'U8';

const PLAIN_MARKER = 'J';
const ANNOTATED_MARKER = 'A';
const PLAIN_MARKER_CODE = 0x4a;
const ANNOTATED_MARKER_CODE = 0x41;

/*
 * Values with no content of their own (undefined, NaN, holes...) leave this in the
 * tree; decoding checks for it, so a payload can't annotate the same place twice.
 */
const PLACEHOLDER = 0;

const BIGINT_TEXT = /^-?\d+$/;
const BASE64_TEXT = /^[A-Za-z0-9+/]*={0,2}$/;
const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;
const MAX_PATH_TEXT = 200;

/**
 * Encodes a value returned by a cached method so that {@link decodeValue} gives back
 * an equal value: `undefined` (as a property, an array element or the whole value),
 * array holes, `NaN`, `±Infinity`, `-0`, BigInt, Date (invalid ones too), Map, Set,
 * RegExp (source and flags), Buffer and Uint8Array survive, nested in any combination.
 *
 * Class instances (e.g. ORM entities) are stored as their own enumerable string-keyed
 * properties, like JSON.stringify, but special values inside them are kept; they
 * decode as plain objects, not as instances of their class. Objects with a `toJSON`
 * method (e.g. a Decimal) are stored as what `toJSON` returns. Symbol-keyed and
 * non-enumerable properties are dropped, as JSON drops them. An object reached twice
 * (without a cycle) is stored twice and decodes as two equal, distinct objects.
 *
 * @throws CacheSerializationError for functions, symbols, cycles, and built-ins that
 * can't be stored faithfully (WeakMap, WeakSet, WeakRef, Promise, Error, ArrayBuffer,
 * typed arrays other than Uint8Array); the message names the problem and its path.
 */
export function encodeValue(value: unknown): string {
  const { tree, annotations } = encodeValueParts(value);
  return annotations.length === 0
    ? PLAIN_MARKER + JSON.stringify(tree)
    : ANNOTATED_MARKER + JSON.stringify([tree, annotations]);
}

/**
 * The two halves of {@link encodeValue}: the JSON tree and the places holding special
 * values (children before parents). A RedisJSON entry keeps the tree as a document, so
 * paths inside it can be updated in place.
 */
export function encodeValueParts(value: unknown): {
  tree: unknown;
  annotations: Array<[PathSegment[], string]>;
} {
  const encoder = new ValueEncoder();
  try {
    return { tree: encoder.walk(value, '', false), annotations: encoder.annotations };
  } catch (error) {
    if (error instanceof CacheSerializationError) throw error;
    // A getter or toJSON that throws, or nesting deep enough to exhaust the stack.
    throw new CacheSerializationError(
      `cannot serialize the value at ${formatPath(encoder.path)}: ${describeError(error)}`,
      { cause: error },
    );
  }
}

/**
 * Decodes text written by {@link encodeValue}. Text from anywhere else (corrupt,
 * truncated or hostile) fails with CacheCorruptEntryError and never changes a
 * prototype: annotation paths are followed through own properties of the parsed
 * JSON only.
 */
export function decodeValue(text: string): unknown {
  if (typeof text === 'string') {
    const marker = text.charCodeAt(0);
    if (marker === PLAIN_MARKER_CODE) {
      try {
        return JSON.parse(text.slice(1));
      } catch (error) {
        throw invalidJson(error);
      }
    }
    if (marker === ANNOTATED_MARKER_CODE) return decodeAnnotated(text);
  }
  throw new CacheCorruptEntryError(
    `cached value does not start with '${PLAIN_MARKER}' or '${ANNOTATED_MARKER}'`,
  );
}

class ValueEncoder {
  readonly annotations: Annotation[] = [];
  /** Path of the value being walked; left as is when a walk throws, for the message. */
  readonly path: PathSegment[] = [];
  private readonly ancestors: object[] = [];
  private readonly ancestorPathLengths: number[] = [];

  /**
   * Returns the JSON tree for `value`. Subtrees that need no change are returned as
   * is (not copied), so a plain object costs a walk but no allocation.
   */
  walk(value: unknown, key: PathSegment, toJSONDone: boolean): unknown {
    switch (typeof value) {
      case 'string':
      case 'boolean':
        return value;
      case 'number':
        if (Number.isFinite(value)) {
          if (value === 0 && 1 / value < 0) this.annotate(TAG_NEGATIVE_ZERO);
          return value;
        }
        this.annotate(value !== value ? TAG_NAN : value > 0 ? TAG_INFINITY : TAG_NEGATIVE_INFINITY);
        return PLACEHOLDER;
      case 'undefined':
        this.annotate(TAG_UNDEFINED);
        return PLACEHOLDER;
      case 'bigint':
        this.annotate(TAG_BIGINT);
        return value.toString();
      case 'object':
        return value === null ? null : this.walkObject(value, key, toJSONDone);
      default:
        throw this.fail(`a ${typeof value} is not serializable`);
    }
  }

  private walkObject(value: object, key: PathSegment, toJSONDone: boolean): unknown {
    if (Array.isArray(value)) return this.walkArray(value);
    const proto: unknown = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) {
      const special = this.walkSpecial(value);
      if (special !== undefined) return special;
    }
    if (!toJSONDone && typeof (value as { toJSON?: unknown }).toJSON === 'function') {
      // Like JSON.stringify: toJSON is called once, with the property key, and what it
      // returns is walked (and may itself be special) but not asked for toJSON again.
      const json: unknown = (value as { toJSON(key: string): unknown }).toJSON(String(key));
      return this.walk(json, key, true);
    }
    return this.walkRecord(value as Record<string, unknown>);
  }

  /**
   * Built-ins with a tag, or undefined for anything walked as a plain object. `types.is*`
   * rather than instanceof: a Date made in another realm (a vm context, Jest's sandbox)
   * is still a Date.
   */
  private walkSpecial(value: object): unknown {
    if (types.isDate(value)) {
      this.annotate(TAG_DATE);
      const time = value.getTime();
      return time === time ? time : null;
    }
    if (types.isMap(value)) {
      const entries = this.walkMapEntries(value);
      this.annotate(TAG_MAP);
      return entries;
    }
    if (types.isSet(value)) {
      const items = this.walkSetItems(value);
      this.annotate(TAG_SET);
      return items;
    }
    if (types.isRegExp(value)) {
      this.annotate(TAG_REGEXP);
      return [value.source, value.flags];
    }
    // Buffer before Uint8Array: a Buffer is one, but should come back as a Buffer.
    if (Buffer.isBuffer(value)) {
      this.annotate(TAG_BUFFER);
      return value.toString('base64');
    }
    if (types.isUint8Array(value)) {
      this.annotate(TAG_UINT8ARRAY);
      return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64');
    }
    if (
      types.isPromise(value) ||
      types.isWeakMap(value) ||
      types.isWeakSet(value) ||
      value instanceof WeakRef ||
      types.isNativeError(value) ||
      value instanceof Error ||
      types.isAnyArrayBuffer(value) ||
      ArrayBuffer.isView(value)
    ) {
      throw this.fail(`a ${builtinName(value)} is not serializable`);
    }
    if (value instanceof Number || value instanceof String || value instanceof Boolean) {
      // Boxed primitives: JSON.stringify unwraps them, so do we.
      return this.walk(value.valueOf(), '', true);
    }
    return undefined;
  }

  private walkArray(array: unknown[]): unknown[] {
    this.enter(array);
    const length = array.length;
    let copy: unknown[] | undefined;
    for (let i = 0; i < length; i++) {
      const item = array[i];
      this.path.push(i);
      let encoded: unknown;
      if (item === undefined && !(i in array)) {
        this.annotate(TAG_HOLE);
        encoded = PLACEHOLDER;
      } else {
        encoded = this.walk(item, i, false);
      }
      this.path.pop();
      if (copy === undefined && encoded !== item) copy = array.slice(0, i);
      if (copy !== undefined) copy.push(encoded);
    }
    this.leave();
    return copy ?? array;
  }

  private walkRecord(record: Record<string, unknown>): Record<string, unknown> {
    this.enter(record);
    const keys = Object.keys(record);
    let copy: Record<string, unknown> | undefined;
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i];
      this.path.push(key);
      const item = record[key];
      const encoded = this.walk(item, key, false);
      this.path.pop();
      if (copy === undefined && encoded !== item) {
        copy = {};
        for (let j = 0; j < i; j++) defineOwn(copy, keys[j], record[keys[j]]);
      }
      if (copy !== undefined) defineOwn(copy, key, encoded);
    }
    this.leave();
    return copy ?? record;
  }

  private walkMapEntries(map: Map<unknown, unknown>): unknown[] {
    this.enter(map);
    const entries: unknown[] = [];
    let i = 0;
    for (const [key, item] of map) {
      this.path.push(i, 0);
      const encodedKey = this.walk(key, '', false);
      this.path[this.path.length - 1] = 1;
      const encodedItem = this.walk(item, '', false);
      this.path.length -= 2;
      entries.push([encodedKey, encodedItem]);
      i++;
    }
    this.leave();
    return entries;
  }

  private walkSetItems(set: Set<unknown>): unknown[] {
    this.enter(set);
    const items: unknown[] = [];
    let i = 0;
    for (const item of set) {
      this.path.push(i);
      items.push(this.walk(item, '', false));
      this.path.pop();
      i++;
    }
    this.leave();
    return items;
  }

  /**
   * Puts a container on the ancestor stack while its children are walked, to catch
   * cycles. (No try/finally: a throw abandons the whole encoder.)
   */
  private enter(container: object): void {
    // A linear scan: ancestor chains are short, and this beats a Set's hashing.
    const at = this.ancestors.indexOf(container);
    if (at !== -1) {
      const target = formatPath(this.path.slice(0, this.ancestorPathLengths[at]));
      throw this.fail(`a cyclic reference (back to ${target}) is not serializable`);
    }
    this.ancestors.push(container);
    this.ancestorPathLengths.push(this.path.length);
  }

  private leave(): void {
    this.ancestors.pop();
    this.ancestorPathLengths.pop();
  }

  private annotate(tag: string): void {
    this.annotations.push([this.path.slice(), tag]);
  }

  private fail(problem: string): CacheSerializationError {
    return new CacheSerializationError(
      `cannot cache the value: ${problem} (at ${formatPath(this.path)})`,
    );
  }
}

function decodeAnnotated(text: string): unknown {
  let payload: unknown;
  try {
    payload = JSON.parse(text.slice(1));
  } catch (error) {
    throw invalidJson(error);
  }
  if (!Array.isArray(payload) || payload.length !== 2 || !Array.isArray(payload[1])) {
    throw new CacheCorruptEntryError('annotated cached value is not [tree, annotations]');
  }
  return decodeValueParts(payload[0], payload[1]);
}

/**
 * Revives a parsed JSON tree from its annotations ({@link encodeValueParts}' halves),
 * with the same checks as {@link decodeValue}. Changes `tree` in place.
 */
export function decodeValueParts(tree: unknown, annotations: unknown[]): unknown {
  // The root sits in a holder so an annotation with an empty path can replace it.
  const holder: unknown[] = [tree];
  let i = 0;
  try {
    for (; i < annotations.length; i++) applyAnnotation(holder, annotations[i]);
  } catch (error) {
    throw new CacheCorruptEntryError(
      `cached value has an invalid annotation #${i}: ${describeError(error)}`,
      { cause: error },
    );
  }
  return holder[0];
}

/** Throws plain Errors; decodeAnnotated wraps them with the annotation's index. */
function applyAnnotation(holder: unknown[], annotation: unknown): void {
  if (!Array.isArray(annotation) || annotation.length !== 2 || !Array.isArray(annotation[0])) {
    throw new Error('not a [path, tag] pair');
  }
  const path: unknown[] = annotation[0];
  const tag: unknown = annotation[1];
  let parent: Container = holder as unknown as Container;
  let key: PathSegment = 0;
  for (let i = 0; i < path.length; i++) {
    const node = parent[key];
    const segment = path[i];
    // Only arrays and objects made by JSON.parse are walked: never into a value an
    // earlier annotation revived (a Buffer's indices, say), never through a prototype.
    if (Array.isArray(node)) {
      if (!Number.isInteger(segment) || !Object.hasOwn(node, segment as number)) {
        throw new Error(`path step ${i} (${String(segment)}) is not an index of an array`);
      }
    } else if (isParsedObject(node)) {
      if (typeof segment !== 'string' || !Object.hasOwn(node, segment)) {
        throw new Error(`path step ${i} (${String(segment)}) is not an own key of an object`);
      }
    } else {
      throw new Error(`path step ${i} leads into a value that is not an array or object`);
    }
    parent = node as Container;
    key = segment as PathSegment;
  }
  // `key` is an own property of `parent` (or the holder's slot): this assignment writes a
  // data property, it can't reach a `__proto__` setter.
  if (tag === TAG_HOLE) {
    if (path.length === 0 || !Array.isArray(parent) || parent[key] !== PLACEHOLDER) {
      throw new Error('a hole must annotate a placeholder in an array');
    }
    Reflect.deleteProperty(parent, key);
    return;
  }
  parent[key] = revive(tag, parent[key]);
}

function revive(tag: unknown, value: unknown): unknown {
  switch (tag) {
    case TAG_UNDEFINED:
      return expectPlaceholder(value, undefined);
    case TAG_NAN:
      return expectPlaceholder(value, NaN);
    case TAG_INFINITY:
      return expectPlaceholder(value, Infinity);
    case TAG_NEGATIVE_INFINITY:
      return expectPlaceholder(value, -Infinity);
    case TAG_NEGATIVE_ZERO:
      return expectPlaceholder(value, -0);
    case TAG_DATE:
      if (typeof value === 'number') return new Date(value);
      if (value === null) return new Date(NaN);
      throw new Error('a Date must be stored as a number or null');
    case TAG_BIGINT:
      if (typeof value === 'string' && BIGINT_TEXT.test(value)) return BigInt(value);
      throw new Error('a BigInt must be stored as a decimal string');
    case TAG_MAP:
      if (Array.isArray(value) && value.every(isPair))
        return new Map(value as [unknown, unknown][]);
      throw new Error('a Map must be stored as an array of [key, value] pairs');
    case TAG_SET:
      if (Array.isArray(value)) return new Set(value);
      throw new Error('a Set must be stored as an array');
    case TAG_REGEXP:
      if (
        Array.isArray(value) &&
        value.length === 2 &&
        typeof value[0] === 'string' &&
        typeof value[1] === 'string'
      ) {
        return new RegExp(value[0], value[1]);
      }
      throw new Error('a RegExp must be stored as [source, flags]');
    case TAG_BUFFER:
      return Buffer.from(expectBase64(value), 'base64');
    case TAG_UINT8ARRAY:
      // Copied out: a small Buffer is a view into Node's shared pool.
      return new Uint8Array(Buffer.from(expectBase64(value), 'base64'));
    default:
      throw new Error(`unknown tag ${JSON.stringify(tag)?.slice(0, 20)}`);
  }
}

function invalidJson(error: unknown): CacheCorruptEntryError {
  return new CacheCorruptEntryError(`cached value is not valid JSON: ${describeError(error)}`, {
    cause: error,
  });
}

function expectPlaceholder(value: unknown, revived: unknown): unknown {
  if (value !== PLACEHOLDER) throw new Error('the annotated place does not hold a placeholder');
  return revived;
}

function expectBase64(value: unknown): string {
  if (typeof value !== 'string' || !BASE64_TEXT.test(value)) {
    throw new Error('bytes must be stored as a base64 string');
  }
  return value;
}

function isPair(entry: unknown): boolean {
  return Array.isArray(entry) && entry.length === 2;
}

function isParsedObject(value: unknown): value is object {
  return (
    typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype
  );
}

/** Assigning `copy['__proto__']` would set the prototype instead of a property. */
function defineOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  } else {
    target[key] = value;
  }
}

/** `$.items[2].price` style, for error messages; Map entries show as `[i][0]` / `[i][1]`. */
function formatPath(path: readonly PathSegment[]): string {
  let text = '$';
  for (const segment of path) {
    if (text.length > MAX_PATH_TEXT) return `${text}...`;
    if (typeof segment === 'number') text += `[${segment}]`;
    else if (IDENTIFIER.test(segment)) text += `.${segment}`;
    else text += `[${JSON.stringify(segment)}]`;
  }
  return text;
}

function builtinName(value: object): string {
  return Object.prototype.toString.call(value).slice(8, -1);
}

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
