import type { NearCacheOptions } from './interfaces/near-cache-options.interface';
/** The module's options with defaults applied. */
export const CACHE_ASIDE_OPTIONS = Symbol('CACHE_ASIDE_OPTIONS');
export const CACHE_ASIDE_REDIS_CLIENT = Symbol('CACHE_ASIDE_REDIS_CLIENT');
export const CACHEABLE_METADATA = 'cache-aside:cacheable';
export const CACHE_EVICT_METADATA = 'cache-aside:cache-evict';
export const CACHE_PATCH_METADATA = 'cache-aside:cache-patch';
/** Where a decorated method finds the service it runs through (set by the explorer). */
export const CACHE_ASIDE_BINDING = Symbol.for('cache-aside:binding');
/** The cache of `forRoot()` without a name, and of decorators that name none. */
export const DEFAULT_CACHE_NAME = 'default';
/** The name of the cache a module instance is (`forRoot({ name })`). */
export const CACHE_ASIDE_NAME = Symbol('CACHE_ASIDE_NAME');
/**
 * A module instance's own service. Only the default cache's module also provides it
 * as the `CacheAsideService` class, so `app.get(CacheAsideService)` never finds a
 * named cache's service.
 */
export const CACHE_ASIDE_SERVICE = Symbol('CACHE_ASIDE_SERVICE');

export const DEFAULT_OPTIONS = {
  store: 'redis' as 'redis' | 'memory',
  redis: 'redis://127.0.0.1:6379',
  keyPrefix: 'cache',
  defaultTtlSeconds: 60,
  commandTimeoutMs: 50,
  startupWaitMs: 3000,
  leaseTtlMs: 5000,
  lockWaitTimeoutMs: 10000,
  graceSeconds: 0,
  softTimeoutMs: 0,
  hardTimeoutMs: 0,
  failureBackoffMs: 1000,
  earlyRefresh: 1 as boolean | number,
  ttlJitterPercent: 0,
  maxValueBytes: 1024 * 1024,
  breakerFailureThreshold: 5,
  breakerOpenMs: 1000,
  maxConcurrentLoadsWithoutRedis: 32,
  maxPendingEvictions: 10_000,
  profiles: {} as Record<string, object>,
  trackAllKeys: false,
  nearCache: false as boolean | NearCacheOptions,
  enabled: true,
};
export const CACHE_ASIDE_STORE = Symbol('CACHE_ASIDE_STORE');
