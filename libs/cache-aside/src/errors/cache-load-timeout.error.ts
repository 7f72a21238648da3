import { CacheAsideError } from './cache-aside.error';

/**
 * The load of a key took longer than its `hardTimeoutMs` and no stale value could stand
 * in. The load goes on in the background under its lease and fills the cache when it
 * completes; only this call gave up waiting for it.
 */
export class CacheLoadTimeoutError extends CacheAsideError {
  readonly code = 'CACHE_LOAD_TIMEOUT';

  constructor(
    readonly key: string,
    readonly timeoutMs: number,
  ) {
    super(
      `Loading "${key}" took longer than its hard timeout of ${timeoutMs} ms; it goes on in the background and fills the cache when done`,
    );
  }
}
