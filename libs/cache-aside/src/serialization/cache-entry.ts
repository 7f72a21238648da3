import { CacheCorruptEntryError } from '../errors/cache-corrupt-entry.error';
import { decodeValue, encodeValue } from './value-codec';

/**
 * Format version of stored entries. A reader that finds another version treats
 * the entry as a miss and replaces it, so a future encoding can't be misread.
 */
export const ENTRY_FORMAT_VERSION = '1';

export interface CacheEntry<T = unknown> {
  value: T;
  /** Epoch ms after which the entry is stale (it may live on for the grace period). */
  freshUntilMs: number;
  /** How long the load that produced it took, in ms: XFetch's delta. */
  loadMs: number;
}

/**
 * `<version>|<freshUntilMs>|<loadMs>|<payload>`: a header the Lua scripts can read
 * with one anchored pattern, then the value codec's text.
 */
export function encodeEntry(value: unknown, freshUntilMs: number, loadMs: number): string {
  return `${ENTRY_FORMAT_VERSION}|${Math.round(freshUntilMs)}|${Math.round(loadMs)}|${encodeValue(value)}`;
}

export function decodeEntry<T>(text: string): CacheEntry<T> {
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
  return { value: decodeValue(text.slice(loadEnd + 1)) as T, freshUntilMs, loadMs };
}
