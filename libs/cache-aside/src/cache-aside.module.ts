import { Logger, Module, type Provider } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import {
  CACHE_ASIDE_OPTIONS,
  CACHE_ASIDE_REDIS_CLIENT,
  CACHE_ASIDE_STORE,
} from './cache-aside.constants';
import { CacheAsideExplorer } from './cache-aside.explorer';
import {
  CACHE_ASIDE_MODULE_OPTIONS,
  ConfigurableCacheAsideModule,
} from './cache-aside.module-definition';
import { CacheAsideService } from './cache-aside.service';
import type { CacheAsideModuleOptions } from './interfaces';
import { CacheKeyLayout } from './redis/cache-key-layout';
import { CacheRedisLifecycle } from './redis/cache-redis.lifecycle';
import { RedisCacheStore } from './redis/redis-cache-store';
import { CircuitBreaker } from './redis/circuit-breaker';
import {
  createCacheRedisClient,
  describeRedis,
  type CacheRedisClient,
} from './redis/redis-connection';
import { resolveModuleOptions, type ResolvedModuleOptions } from './resolve-module-options';

const providers: Provider[] = [
  {
    provide: CACHE_ASIDE_OPTIONS,
    useFactory: (options: CacheAsideModuleOptions) => resolveModuleOptions(options ?? {}),
    inject: [CACHE_ASIDE_MODULE_OPTIONS],
  },
  {
    provide: CACHE_ASIDE_REDIS_CLIENT,
    useFactory: (options: ResolvedModuleOptions) => createCacheRedisClient(options.redis),
    inject: [CACHE_ASIDE_OPTIONS],
  },
  {
    provide: CACHE_ASIDE_STORE,
    useFactory: (options: ResolvedModuleOptions, client: CacheRedisClient) =>
      new RedisCacheStore(
        client,
        new CacheKeyLayout(options.keyPrefix),
        options.commandTimeoutMs,
        new CircuitBreaker(
          options.breakerFailureThreshold,
          options.breakerOpenMs,
          new Logger('CacheAside'),
          describeRedis(options.redis),
        ),
      ),
    inject: [CACHE_ASIDE_OPTIONS, CACHE_ASIDE_REDIS_CLIENT],
  },
  CacheRedisLifecycle,
  CacheAsideService,
  CacheAsideExplorer,
];

/**
 * `CacheAsideModule.forRoot({ redis: 'redis://...' })` or `forRootAsync({ useFactory })`;
 * `isGlobal: true` makes `CacheAsideService` injectable everywhere.
 */
@Module({
  imports: [DiscoveryModule],
  providers,
  exports: [CacheAsideService],
})
export class CacheAsideModule extends ConfigurableCacheAsideModule {}
