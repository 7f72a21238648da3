import { CacheAsideError } from './cache-aside.error';

/**
 * Named caches don't add up, found at start-up: a decorated method names a cache no
 * `CacheAsideModule` defines, or two modules define the same name. The message says
 * which and what to do.
 */
export class CacheInstanceNameError extends CacheAsideError {
  readonly code = 'CACHE_INSTANCE_NAME';
}
