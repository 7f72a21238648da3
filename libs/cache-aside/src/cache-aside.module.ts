import { Logger, Module, type Provider } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import {
  CACHE_ASIDE_OPTIONS,
  CACHE_ASIDE_REDIS_CLIENT,
  CACHE_ASIDE_SERVICE,
  CACHE_ASIDE_STORE,
} from './cache-aside.constants';
import { CacheAsideExplorer } from './cache-aside.explorer';
import {
  CACHE_ASIDE_MODULE_OPTIONS,
  ConfigurableCacheAsideModule,
} from './cache-aside.module-definition';
import { CacheAsideService } from './cache-aside.service';
import type { CacheAsideModuleOptions } from './interfaces';
import { MemoryCacheStore } from './memory/memory-cache-store';
import { CacheKeyLayout } from './redis/cache-key-layout';
import { CacheRedisLifecycle } from './redis/cache-redis.lifecycle';
import { RedisCacheStore } from './redis/redis-cache-store';
import { CircuitBreaker } from './redis/circuit-breaker';
import {
  CACHE_ASIDE_REDIS_CONNECTION,
  createCacheRedisConnection,
  type CacheRedisConnection,
} from './redis/redis-connection';
import { resolveModuleOptions, type ResolvedModuleOptions } from './resolve-module-options';

const providers: Provider[] = [
  {
    provide: CACHE_ASIDE_OPTIONS,
    useFactory: (options: CacheAsideModuleOptions) => resolveModuleOptions(options ?? {}),
    inject: [CACHE_ASIDE_MODULE_OPTIONS],
  },
  {
    // one server, a cluster or a sentinel-watched master (created, not connected yet);
    // null with the memory store, which never creates a client
    provide: CACHE_ASIDE_REDIS_CONNECTION,
    useFactory: (options: ResolvedModuleOptions) =>
      options.store === 'memory'
        ? null
        : createCacheRedisConnection(options.redis, new Logger('CacheAside')),
    inject: [CACHE_ASIDE_OPTIONS],
  },
  {
    // the node-redis client, cluster or sentinel itself (what the store sends commands to)
    provide: CACHE_ASIDE_REDIS_CLIENT,
    useFactory: (connection: CacheRedisConnection | null) => connection?.commands ?? null,
    inject: [CACHE_ASIDE_REDIS_CONNECTION],
  },
  {
    provide: CACHE_ASIDE_STORE,
    useFactory: (options: ResolvedModuleOptions, connection: CacheRedisConnection | null) =>
      connection === null // store: 'memory'
        ? new MemoryCacheStore()
        : new RedisCacheStore(
            connection.commands,
            new CacheKeyLayout(options.keyPrefix),
            options.commandTimeoutMs,
            new CircuitBreaker(
              options.breakerFailureThreshold,
              options.breakerOpenMs,
              new Logger('CacheAside'),
              connection.where,
            ),
          ),
    inject: [CACHE_ASIDE_OPTIONS, CACHE_ASIDE_REDIS_CONNECTION],
  },
  CacheRedisLifecycle,
  { provide: CACHE_ASIDE_SERVICE, useClass: CacheAsideService },
  CacheAsideExplorer,
];

/**
 * `CacheAsideModule.forRoot({ redis: 'redis://...' })` or `forRootAsync({ useFactory })`;
 * `isGlobal: true` makes `CacheAsideService` injectable everywhere. Several caches:
 * `forRoot({ name: 'sessions', ... })` each (see `CacheAsideModuleExtras`).
 */
@Module({
  imports: [DiscoveryModule],
  providers,
})
export class CacheAsideModule extends ConfigurableCacheAsideModule {}
