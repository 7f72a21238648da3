import type { CacheAsideModuleOptions } from '@app/cache-aside';
import type { CacheConfig } from '../config/catalog-config';

/**
 * The library's module options from the catalog's cache settings. Per-read TTLs that
 * differ from the module's (category pages) are set where those reads are cached.
 */
export function buildCacheAsideOptions(cache: CacheConfig): CacheAsideModuleOptions {
  return {
    enabled: cache.enabled,
    redis: cache.redisUrl,
    keyPrefix: cache.keyPrefix,
    defaultTtlSeconds: cache.ttlSeconds,
    notFoundTtlSeconds: cache.notFoundTtlSeconds,
    graceSeconds: cache.graceSeconds,
  };
}
