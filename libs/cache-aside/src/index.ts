export * from './cache-aside.module';
export * from './cache-aside.service';
export * from './cache-status.interceptor';
export * from './decorators';
export * from './interfaces';
export * from './errors';
export { cacheKey, type KeyTemplate } from './keys';
export {
  CACHE_ASIDE_MODULE_OPTIONS,
  type CacheAsideModuleExtras,
} from './cache-aside.module-definition';
export { getCacheAsideToken } from './cache-aside.tokens';
export type { CacheStorage } from './serialization/cache-entry';
export { redactRedisUrl } from './redis/redact-redis-url';
