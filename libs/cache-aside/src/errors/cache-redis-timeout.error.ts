import { CacheAsideError } from './cache-aside.error';

export class CacheRedisTimeoutError extends CacheAsideError {
  readonly code = 'CACHE_REDIS_TIMEOUT';

  constructor(
    readonly operation: string,
    readonly timeoutMs: number,
  ) {
    super(`Redis did not answer ${operation} within ${timeoutMs} ms; serving from the loader`);
  }
}
