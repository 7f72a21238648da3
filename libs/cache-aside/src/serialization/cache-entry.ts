import { types } from 'node:util';
import { CacheCorruptEntryError } from '../errors/cache-corrupt-entry.error';
import { CacheSerializationError } from '../errors/cache-serialization.error';
import { decodeJsonDocument, encodeJsonDocument, JsonDocumentEntry } from './json-document';
import { decodeValue, encodeValue } from './value-codec';

/**
 * Format version of stored entries. A reader that finds another version treats
 * the entry as a miss and replaces it, so a future encoding can't be misread.
 */
export const ENTRY_FORMAT_VERSION = '1';

/**
 * How an entry is kept in Redis: one string, a hash with a field per top-level property,
 * or a RedisJSON document (nested paths can be updated in place).
 */
export type CacheStorage = 'string' | 'hash' | 'json';

export interface CacheEntry<T = unknown> {
  value: T;
  /** Epoch ms after which the entry is stale (it may live on for the grace period). */
  freshUntilMs: number;
  /** How long the load that produced it took, in ms: XFetch's delta. */
  loadMs: number;
}

/** An entry as Redis holds it: a string, a hash's fields, or a RedisJSON document. */
export type StoredEntry = string | Record<string, string> | JsonDocumentEntry;

/** Hash fields: the header, a whole non-object value, and one field per property. */
export const HEADER_FIELD = '_m';
export const WHOLE_VALUE_FIELD = '_v';
export const PROPERTY_FIELD_PREFIX = '.';

/**
 * The header `<version>|<freshUntilMs>|<loadMs>|`: the Lua scripts read fresh-until
 * with one anchored pattern. A string entry continues with the value codec's text.
 */
function header(freshUntilMs: number, loadMs: number): string {
  return `${ENTRY_FORMAT_VERSION}|${Math.round(freshUntilMs)}|${Math.ceil(loadMs)}|`;
}

export function encodeEntry(value: unknown, freshUntilMs: number, loadMs: number): string {
  return header(freshUntilMs, loadMs) + encodeValue(value);
}

/**
 * A hash entry: each own enumerable property in its own field, encoded with the same
 * fidelity as whole values (undefined properties are left out, as JSON does). Values
 * that aren't plain records (null, arrays, Maps...) go whole into one field.
 */
export function encodeHashEntry(
  value: unknown,
  freshUntilMs: number,
  loadMs: number,
): Record<string, string> {
  const fields: Record<string, string> = { [HEADER_FIELD]: header(freshUntilMs, loadMs) };
  if (!isRecord(value)) {
    fields[WHOLE_VALUE_FIELD] = encodeValue(value);
    return fields;
  }
  for (const [name, property] of Object.entries(value)) {
    if (property !== undefined) fields[PROPERTY_FIELD_PREFIX + name] = encodeValue(property);
  }
  return fields;
}

export function encodeEntryAs(
  storage: CacheStorage,
  value: unknown,
  freshUntilMs: number,
  loadMs: number,
): StoredEntry {
  switch (storage) {
    case 'hash':
      return encodeHashEntry(value, freshUntilMs, loadMs);
    case 'json':
      return encodeJsonDocument(value, header(freshUntilMs, loadMs));
    default:
      return encodeEntry(value, freshUntilMs, loadMs);
  }
}

/** Field values of a patch: `undefined` means "remove the field". */
export function encodePatch(changes: Record<string, unknown>): {
  set: Record<string, string>;
  remove: string[];
} {
  const set: Record<string, string> = {};
  const remove: string[] = [];
  for (const [name, value] of Object.entries(changes)) {
    if (value === undefined) remove.push(PROPERTY_FIELD_PREFIX + name);
    else set[PROPERTY_FIELD_PREFIX + name] = encodeValue(value);
  }
  return { set, remove };
}

/**
 * The hash field and value a versioned patch compares (patch-entry.lua reads the cached
 * field as the codec's plain number, 'J<number>').
 * @throws CacheSerializationError when `changes` doesn't hold a finite number there
 */
export function patchVersionOf(
  changes: Record<string, unknown>,
  name: string,
): { field: string; value: number } {
  const value = changes[name];
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new CacheSerializationError(
      `a versioned patch needs a finite number in "${name}", got ${typeof value === 'number' ? value : typeof value}`,
    );
  }
  return { field: PROPERTY_FIELD_PREFIX + name, value };
}

export function decodeEntry<T>(stored: StoredEntry): CacheEntry<T> {
  if (typeof stored === 'string') {
    const { freshUntilMs, loadMs, end } = decodeHeader(stored);
    return { value: decodeValue(stored.slice(end)) as T, freshUntilMs, loadMs };
  }
  if (stored instanceof JsonDocumentEntry) {
    const { header: text, value } = decodeJsonDocument(stored);
    const { freshUntilMs, loadMs, end } = decodeHeader(text);
    if (end !== text.length) throw new CacheCorruptEntryError('JSON entry header has a tail');
    return { value: value as T, freshUntilMs, loadMs };
  }
  const headerText = stored[HEADER_FIELD];
  if (headerText === undefined) throw new CacheCorruptEntryError('hash entry has no header');
  const { freshUntilMs, loadMs } = decodeHeader(headerText);
  if (stored[WHOLE_VALUE_FIELD] !== undefined) {
    return { value: decodeValue(stored[WHOLE_VALUE_FIELD]) as T, freshUntilMs, loadMs };
  }
  return { value: decodeProperties(stored) as T, freshUntilMs, loadMs };
}

/** Named properties of a hash entry (those present), for partial reads. */
export function decodeProperties(fields: Record<string, string>): Record<string, unknown> {
  const value: Record<string, unknown> = {};
  for (const [field, text] of Object.entries(fields)) {
    if (!field.startsWith(PROPERTY_FIELD_PREFIX)) continue;
    const name = field.slice(PROPERTY_FIELD_PREFIX.length);
    if (name === '__proto__') {
      // defineProperty: a property named __proto__ stays an own property, never a prototype
      Object.defineProperty(value, name, {
        value: decodeValue(text),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    } else {
      // plain assignment keeps the object in V8's fast mode (defineProperty on every
      // field made each hash hit ~30 us slower, and serializing the result slower too)
      value[name] = decodeValue(text);
    }
  }
  return value;
}

export function decodeHeader(text: string): { freshUntilMs: number; loadMs: number; end: number } {
  const versionEnd = text.indexOf('|');
  const freshEnd = text.indexOf('|', versionEnd + 1);
  const loadEnd = text.indexOf('|', freshEnd + 1);
  if (versionEnd < 0 || freshEnd < 0 || loadEnd < 0) {
    throw new CacheCorruptEntryError('entry header is incomplete');
  }
  const version = text.slice(0, versionEnd);
  if (version !== ENTRY_FORMAT_VERSION) {
    throw new CacheCorruptEntryError(
      `entry format version '${version.slice(0, 16)}' is not ${ENTRY_FORMAT_VERSION}`,
    );
  }
  const freshUntilMs = Number(text.slice(versionEnd + 1, freshEnd));
  const loadMs = Number(text.slice(freshEnd + 1, loadEnd));
  if (!Number.isSafeInteger(freshUntilMs) || !Number.isSafeInteger(loadMs) || loadMs < 0) {
    throw new CacheCorruptEntryError('entry header has invalid numbers');
  }
  return { freshUntilMs, loadMs, end: loadEnd + 1 };
}

/** Bytes Redis would receive for an entry (the size limit applies to this). */
export function storedSize(stored: StoredEntry): number {
  if (typeof stored === 'string') return Buffer.byteLength(stored);
  if (stored instanceof JsonDocumentEntry) return Buffer.byteLength(stored.text);
  let size = 0;
  for (const [field, text] of Object.entries(stored)) {
    size += Buffer.byteLength(field) + Buffer.byteLength(text);
  }
  return size;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  if (types.isDate(value) || types.isMap(value) || types.isSet(value)) return false;
  if (types.isRegExp(value) || ArrayBuffer.isView(value)) return false;
  return true;
}
