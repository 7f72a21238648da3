import { CacheAsideError } from './cache-aside.error';

/** The circuit breaker is open: the call didn't go to Redis at all. */
export class CacheRedisUnavailableError extends CacheAsideError {
  readonly code = 'CACHE_REDIS_UNAVAILABLE';

  constructor(operation: string) {
    super(`Redis is unavailable (circuit open); ${operation} skipped, serving from the loader`);
  }
}
