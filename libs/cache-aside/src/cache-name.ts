import { DEFAULT_CACHE_NAME } from './cache-aside.constants';
import { CacheOptionsError } from './errors/cache-options.error';

/** A cache name as given to `forRoot({ name })` or a decorator's `cache`, checked. */
export function cacheNameOf(name: string | undefined, where: string): string {
  if (name === undefined) return DEFAULT_CACHE_NAME;
  if (typeof name !== 'string' || name.trim() === '') {
    throw new CacheOptionsError(
      `${where}: a cache name must be a non-empty string, got ${JSON.stringify(name)}`,
    );
  }
  return name;
}
