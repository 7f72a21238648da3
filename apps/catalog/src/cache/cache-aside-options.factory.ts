import type { CacheAsideModuleOptions } from 'nest-cache-aside';
import type { CacheConfig } from '../config/catalog-config';
import { CATEGORY_PAGE_PROFILE } from './cache-profiles.constants';

/**
 * The library's module options from the catalog's cache settings. The module's defaults are
 * the product view's; reads that differ (category pages) get a profile.
 */
export function buildCacheAsideOptions(cache: CacheConfig): CacheAsideModuleOptions {
  return {
    enabled: cache.enabled,
    redis: cache.redisUrl,
    keyPrefix: cache.keyPrefix,
    defaultTtlSeconds: cache.ttlSeconds,
    notFoundTtlSeconds: cache.notFoundTtlSeconds,
    graceSeconds: cache.graceSeconds,
    nearCache: cache.nearCache,
    profiles: {
      [CATEGORY_PAGE_PROFILE]: { ttlSeconds: cache.pageTtlSeconds },
    },
  };
}
