import { CacheAsideError } from './cache-aside.error';

/**
 * A value returned by a cached method can't be stored faithfully (a function, a
 * cycle, an unsupported built-in...). The message names the problem and where it sits.
 */
export class CacheSerializationError extends CacheAsideError {
  readonly code = 'CACHE_SERIALIZATION';
}
