import { CacheAsideError } from './cache-aside.error';

/**
 * The load this caller was waiting for failed in another process. The original
 * error lives in that process; its message is carried here.
 */
export class CacheLoadFailedError extends CacheAsideError {
  readonly code = 'CACHE_LOAD_FAILED';

  constructor(
    readonly key: string,
    readonly remoteMessage: string,
  ) {
    super(`Loading "${key}" failed in the caller that held the lease: ${remoteMessage}`);
  }
}
