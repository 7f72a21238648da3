import { CacheAsideError } from './cache-aside.error';

/**
 * A stored entry can't be decoded: truncated, written by something else, or hostile.
 * Callers treat it as a miss; `cause` holds the underlying parse error, if any.
 */
export class CacheCorruptEntryError extends CacheAsideError {
  readonly code = 'CACHE_CORRUPT_ENTRY';
}
