import { CacheAsideError } from './cache-aside.error';

export class CacheOptionsError extends CacheAsideError {
  readonly code = 'CACHE_OPTIONS';
}
