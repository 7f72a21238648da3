import { DEFAULT_CACHE_NAME } from './cache-aside.constants';
import { CacheAsideService } from './cache-aside.service';
import { cacheNameOf } from './cache-name';

/**
 * The injection token of a cache's `CacheAsideService`, as @nestjs/typeorm's
 * `getDataSourceToken`: the class itself for the default (unnamed) cache, so
 * `constructor(cache: CacheAsideService)` keeps working, and a string per named cache.
 */
export function getCacheAsideToken(
  name: string = DEFAULT_CACHE_NAME,
): string | typeof CacheAsideService {
  const cacheName = cacheNameOf(name, 'getCacheAsideToken');
  return cacheName === DEFAULT_CACHE_NAME ? CacheAsideService : `${cacheName}CacheAsideService`;
}
