import { types } from 'node:util';
import { CacheKeyError } from '../errors/cache-key.error';

/*
 * Segments are what argument values become inside a logical key. The store wraps
 * logical keys in a Redis Cluster hash tag (`<prefix>:{<logical>}`) and templates
 * separate values with ':' or '/', so an encoded segment must never contain a brace,
 * ':', '/', whitespace or glob characters, and two different values must never
 * encode alike (apart from the deliberate equivalences below).
 *
 * Escaping emits only [A-Za-z0-9_.~-] and '%' followed by two uppercase hex digits.
 * The markers for values that have no text ('%N', '%U', '%NaN', '%Inf', '%-Inf')
 * put a non-hex character right after '%', so no escaped string can ever equal one.
 */

const NULL_SEGMENT = '%N';
const UNDEFINED_SEGMENT = '%U';
const NAN_SEGMENT = '%NaN';
const INFINITY_SEGMENT = '%Inf';
const NEGATIVE_INFINITY_SEGMENT = '%-Inf';

const UNRESERVED_TEXT = /^[A-Za-z0-9_.~-]*$/;
// encodeURIComponent leaves these unescaped; keys must not (`*` is a glob character).
const URI_MARKS = /[!'()*]/g;

/**
 * Encodes one value as a key segment.
 *
 * - strings: every UTF-8 byte except `[A-Za-z0-9_.~-]` as `%XX` (uppercase hex);
 *   lone surrogates are encoded as their 3-byte (WTF-8) form, so they stay distinct
 * - finite numbers: `String(n)`, escaped like a string (`-0` gives `'0'`)
 * - booleans: `'true'` / `'false'`; bigints: their decimal digits
 * - Dates: `toISOString()`, escaped (an invalid Date is an error)
 * - null, undefined, NaN, ±Infinity: the markers `%N`, `%U`, `%NaN`, `%Inf`, `%-Inf`
 * - plain objects, arrays and class instances (DTOs): stable JSON (keys sorted at every
 *   level, undefined properties left out, as JSON does), escaped
 *
 * On purpose, a value and its text form share a key: `1`, `1n` and `'1'` (ids arrive
 * as strings over HTTP and as numbers from code), `true` and `'true'`, a Date and its
 * ISO string, an object and its stable JSON text.
 *
 * @throws CacheKeyError for functions, symbols, cycles, invalid Dates, and objects with
 * no stable text form (Map, Set, RegExp, Buffer, typed arrays, Promise, Error...).
 */
export function encodeKeySegment(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return escapeKeyText(value);
    case 'number':
      if (Number.isFinite(value)) return escapeKeyText(String(value));
      return value !== value
        ? NAN_SEGMENT
        : value > 0
          ? INFINITY_SEGMENT
          : NEGATIVE_INFINITY_SEGMENT;
    case 'boolean':
      return value ? 'true' : 'false';
    case 'bigint':
      return value.toString();
    case 'undefined':
      return UNDEFINED_SEGMENT;
    case 'object':
      if (value === null) return NULL_SEGMENT;
      if (value instanceof Date) return escapeKeyText(isoString(value, []));
      return escapeKeyText(new StableJson().write(value, []));
    default:
      throw new CacheKeyError(`a ${typeof value} cannot be part of a cache key`);
  }
}

function escapeKeyText(text: string): string {
  if (UNRESERVED_TEXT.test(text)) return text;
  try {
    return encodeURIComponent(text).replace(URI_MARKS, escapeAsciiMark);
  } catch {
    // URIError: the string has a lone surrogate.
    return escapeCodeUnits(text);
  }
}

function escapeAsciiMark(mark: string): string {
  return `%${mark.charCodeAt(0).toString(16).toUpperCase()}`;
}

/**
 * UTF-8 by hand, for strings with lone surrogates: those get the 3-byte form UTF-8
 * would give a surrogate code point (WTF-8). Valid UTF-8 never contains such bytes, so
 * '\uD800' and '\uFFFD' (what Buffer would turn it into) keep different keys.
 */
function escapeCodeUnits(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) {
      const char = text[i];
      out += UNRESERVED_TEXT.test(char) ? char : percentByte(unit);
      continue;
    }
    let codePoint = unit;
    if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        codePoint = 0x10000 + ((unit - 0xd800) << 10) + (next - 0xdc00);
        i++;
      }
    }
    if (codePoint < 0x800) {
      out += percentByte(0xc0 | (codePoint >> 6)) + percentByte(0x80 | (codePoint & 0x3f));
    } else if (codePoint < 0x10000) {
      out +=
        percentByte(0xe0 | (codePoint >> 12)) +
        percentByte(0x80 | ((codePoint >> 6) & 0x3f)) +
        percentByte(0x80 | (codePoint & 0x3f));
    } else {
      out +=
        percentByte(0xf0 | (codePoint >> 18)) +
        percentByte(0x80 | ((codePoint >> 12) & 0x3f)) +
        percentByte(0x80 | ((codePoint >> 6) & 0x3f)) +
        percentByte(0x80 | (codePoint & 0x3f));
    }
  }
  return out;
}

function percentByte(byte: number): string {
  return `%${byte < 0x10 ? '0' : ''}${byte.toString(16).toUpperCase()}`;
}

function isoString(date: Date, path: readonly (string | number)[]): string {
  if (Number.isNaN(date.getTime())) {
    throw new CacheKeyError(`an invalid Date cannot be part of a cache key${at(path)}`);
  }
  return date.toISOString();
}

/**
 * JSON with sorted keys, so `{ a, b }` and `{ b, a }` share a key. Values JSON can't
 * write get distinct bare tokens (NaN, Infinity, -Infinity, undefined in arrays, bigint
 * digits) rather than collapsing into null.
 */
class StableJson {
  private readonly ancestors: object[] = [];

  write(value: unknown, path: (string | number)[]): string {
    switch (typeof value) {
      case 'string':
        return JSON.stringify(value);
      case 'number':
        if (Number.isFinite(value)) return value === 0 ? '0' : String(value);
        return String(value);
      case 'boolean':
        return value ? 'true' : 'false';
      case 'bigint':
        return value.toString();
      case 'undefined':
        return 'undefined';
      case 'object':
        return value === null ? 'null' : this.writeObject(value, path);
      default:
        throw new CacheKeyError(`a ${typeof value} cannot be part of a cache key${at(path)}`);
    }
  }

  private writeObject(value: object, path: (string | number)[]): string {
    if (value instanceof Date) return JSON.stringify(isoString(value, path));
    if (this.ancestors.includes(value)) {
      throw new CacheKeyError(`a cyclic value cannot be part of a cache key${at(path)}`);
    }
    if (Array.isArray(value)) return this.nested(value, () => this.writeArray(value, path));
    const proto: unknown = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) {
      if (
        value instanceof Map ||
        value instanceof Set ||
        value instanceof RegExp ||
        value instanceof Error ||
        value instanceof WeakRef ||
        types.isPromise(value) ||
        types.isWeakMap(value) ||
        types.isWeakSet(value) ||
        types.isAnyArrayBuffer(value) ||
        ArrayBuffer.isView(value)
      ) {
        const name = Buffer.isBuffer(value)
          ? 'Buffer'
          : Object.prototype.toString.call(value).slice(8, -1);
        throw new CacheKeyError(
          `a ${name} cannot be part of a cache key${at(path)}; pass a plain object or array, or use a key function`,
        );
      }
    }
    const toJSON: unknown = (value as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === 'function') {
      // A Decimal and the like: its JSON form is its identity.
      const json: unknown = toJSON.call(value, String(path[path.length - 1] ?? ''));
      if (json !== value) return this.nested(value, () => this.write(json, path));
    }
    return this.nested(value, () => this.writeRecord(value as Record<string, unknown>, path));
  }

  private writeArray(array: unknown[], path: (string | number)[]): string {
    let out = '[';
    for (let i = 0; i < array.length; i++) {
      if (i > 0) out += ',';
      path.push(i);
      out += this.write(array[i], path);
      path.pop();
    }
    return `${out}]`;
  }

  private writeRecord(record: Record<string, unknown>, path: (string | number)[]): string {
    let out = '{';
    for (const key of Object.keys(record).sort()) {
      const item = record[key];
      // Left out like JSON does: `{ page: undefined }` and `{}` are the same query.
      if (item === undefined) continue;
      if (out.length > 1) out += ',';
      path.push(key);
      out += `${JSON.stringify(key)}:${this.write(item, path)}`;
      path.pop();
    }
    return `${out}}`;
  }

  private nested(container: object, write: () => string): string {
    this.ancestors.push(container);
    const text = write();
    this.ancestors.pop();
    return text;
  }
}

function at(path: readonly (string | number)[]): string {
  return path.length === 0 ? '' : ` (at ${path.join('.')})`;
}
