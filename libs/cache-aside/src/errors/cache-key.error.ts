import { CacheAsideError } from './cache-aside.error';

/** A value can't be turned into a cache key segment (a function, a symbol, a cycle...). */
export class CacheKeyError extends CacheAsideError {
  readonly code = 'CACHE_KEY';
}
