import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { CACHE_ASIDE_OPTIONS, CACHE_ASIDE_STORE } from '../cache-aside.constants';
import type { ResolvedModuleOptions } from '../resolve-module-options';
import type { RedisCacheStore } from './redis-cache-store';
import { CACHE_ASIDE_REDIS_CONNECTION, type CacheRedisConnection } from './redis-connection';

/**
 * Opens the module's connections at start-up without waiting for them (an app must
 * boot while Redis is down, and start caching once it appears) and closes exactly
 * those at shutdown, so `enableShutdownHooks()` apps exit with no open handles.
 * The same for one server, a cluster and a sentinel-watched master.
 */
@Injectable()
export class CacheRedisLifecycle implements OnModuleInit, OnApplicationShutdown {
  constructor(
    @Inject(CACHE_ASIDE_OPTIONS) private readonly options: ResolvedModuleOptions,
    @Inject(CACHE_ASIDE_REDIS_CONNECTION) private readonly connection: CacheRedisConnection,
    @Inject(CACHE_ASIDE_STORE) private readonly store: RedisCacheStore,
  ) {}

  onModuleInit(): void {
    if (!this.options.enabled) return;
    this.connection.open(() => this.store.connectionReady());
    // Waiters are woken through pub/sub (the connection keeps the subscription
    // across reconnects and failovers; a jittered poll covers the gaps).
    this.connection.subscribe(this.store.channel, (key) => this.store.notifySettled(key));
  }

  async onApplicationShutdown(): Promise<void> {
    await this.connection.close();
  }
}
