import { types } from 'node:util';
import { CacheCorruptEntryError } from '../errors/cache-corrupt-entry.error';
import { CacheSerializationError } from '../errors/cache-serialization.error';
import { decodeJsonDocument, encodeJsonDocument, JsonDocumentEntry } from './json-document';
import { decodeValue, encodeValue } from './value-codec';

/**
 * Format version of stored entries. A reader that finds another version treats
 * the entry as a miss and replaces it, so a future encoding can't be misread.
 */
export const ENTRY_FORMAT_VERSION = '2';

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
  /** The tags the entry belongs to (normalized), and the tag sequence read before its load. */
  tagging: EntryTagging;
  /** Its size as stored, when it was read from the store (the near cache counts it). */
  storedBytes?: number;
}

/**
 * An entry is current while none of its tags was invalidated after `sequence`, the tag
 * sequence read before its value was loaded (invalidation/tag-versions.ts).
 */
export interface EntryTagging {
  sequence: number;
  tags: readonly string[];
}

export const UNTAGGED: EntryTagging = Object.freeze({ sequence: 0, tags: Object.freeze([]) });

/** Joins tags in the header: normalized tags are printable ASCII, so they never hold it. */
const TAG_SEPARATOR = '\n';

/** An entry as Redis holds it: a string, a hash's fields, or a RedisJSON document. */
export type StoredEntry = string | Record<string, string> | JsonDocumentEntry;

/** Hash fields: the header, a whole non-object value, and one field per property. */
export const HEADER_FIELD = '_m';
export const WHOLE_VALUE_FIELD = '_v';
export const PROPERTY_FIELD_PREFIX = '.';

/**
 * The header `<version>|<freshUntilMs>|<loadMs>|<tagSequence>|<tagsLength>|<tags>`: the Lua
 * scripts read fresh-until with one anchored pattern; the tags (joined by a newline) are
 * length-prefixed, so a tag may hold '|'. A string entry continues with the value codec's text.
 */
function header(freshUntilMs: number, loadMs: number, tagging: EntryTagging): string {
  const tags = tagging.tags.join(TAG_SEPARATOR);
  return `${ENTRY_FORMAT_VERSION}|${Math.round(freshUntilMs)}|${Math.ceil(loadMs)}|${tagging.sequence}|${tags.length}|${tags}`;
}

export function encodeEntry(
  value: unknown,
  freshUntilMs: number,
  loadMs: number,
  tagging: EntryTagging = UNTAGGED,
): string {
  return header(freshUntilMs, loadMs, tagging) + encodeValue(value);
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
  tagging: EntryTagging = UNTAGGED,
): Record<string, string> {
  const fields: Record<string, string> = { [HEADER_FIELD]: header(freshUntilMs, loadMs, tagging) };
  if (!isRecord(value)) {
    fields[WHOLE_VALUE_FIELD] = encodeValue(value);
    return fields;
  }
  for (const name of Object.keys(value)) {
    const property = value[name];
    if (property !== undefined) fields[PROPERTY_FIELD_PREFIX + name] = encodeValue(property);
  }
  return fields;
}

export function encodeEntryAs(
  storage: CacheStorage,
  value: unknown,
  freshUntilMs: number,
  loadMs: number,
  tagging: EntryTagging = UNTAGGED,
): StoredEntry {
  switch (storage) {
    case 'hash':
      return encodeHashEntry(value, freshUntilMs, loadMs, tagging);
    case 'json':
      return encodeJsonDocument(value, header(freshUntilMs, loadMs, tagging));
    default:
      return encodeEntry(value, freshUntilMs, loadMs, tagging);
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
    const { end, ...meta } = decodeHeader(stored);
    return { value: decodeValue(stored.slice(end)) as T, ...meta };
  }
  if (stored instanceof JsonDocumentEntry) {
    const { header: text, value } = decodeJsonDocument(stored);
    const { end, ...meta } = decodeHeader(text);
    if (end !== text.length) throw new CacheCorruptEntryError('JSON entry header has a tail');
    return { value: value as T, ...meta };
  }
  const headerText = stored[HEADER_FIELD];
  if (headerText === undefined) throw new CacheCorruptEntryError('hash entry has no header');
  const { end, ...meta } = decodeHeader(headerText);
  if (end !== headerText.length) throw new CacheCorruptEntryError('hash entry header has a tail');
  if (stored[WHOLE_VALUE_FIELD] !== undefined) {
    return { value: decodeValue(stored[WHOLE_VALUE_FIELD]) as T, ...meta };
  }
  return { value: decodeProperties(stored) as T, ...meta };
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

export interface EntryHeader {
  freshUntilMs: number;
  loadMs: number;
  tagging: EntryTagging;
  /** Where the header ends (a string entry's value starts). */
  end: number;
}

export function decodeHeader(text: string): EntryHeader {
  const fields: number[] = [];
  let start = 0;
  for (let i = 0; i < 5; i++) {
    const bar = text.indexOf('|', start);
    if (bar < 0) throw new CacheCorruptEntryError('entry header is incomplete');
    if (i === 0) {
      const version = text.slice(0, bar);
      if (version !== ENTRY_FORMAT_VERSION) {
        throw new CacheCorruptEntryError(
          `entry format version '${version.slice(0, 16)}' is not ${ENTRY_FORMAT_VERSION}`,
        );
      }
    } else {
      const number = Number(text.slice(start, bar));
      if (!Number.isSafeInteger(number) || (i > 1 && number < 0) || bar === start) {
        throw new CacheCorruptEntryError('entry header has invalid numbers');
      }
      fields.push(number);
    }
    start = bar + 1;
  }
  const [freshUntilMs, loadMs, sequence, tagsLength] = fields;
  const end = start + tagsLength;
  if (end > text.length) throw new CacheCorruptEntryError('entry header is incomplete');
  if (tagsLength === 0) return { freshUntilMs, loadMs, tagging: { sequence, tags: [] }, end };
  const tags = text.slice(start, end).split(TAG_SEPARATOR);
  if (tags.includes('')) throw new CacheCorruptEntryError('entry header has an empty tag');
  return { freshUntilMs, loadMs, tagging: { sequence, tags }, end };
}

/** Bytes Redis would receive for an entry (the size limit applies to this). */
export function storedSize(stored: StoredEntry): number {
  if (typeof stored === 'string') return Buffer.byteLength(stored);
  if (stored instanceof JsonDocumentEntry) return Buffer.byteLength(stored.text);
  let size = 0;
  for (const field in stored) size += Buffer.byteLength(field) + Buffer.byteLength(stored[field]);
  return size;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  if (types.isDate(value) || types.isMap(value) || types.isSet(value)) return false;
  if (types.isRegExp(value) || ArrayBuffer.isView(value)) return false;
  return true;
}
