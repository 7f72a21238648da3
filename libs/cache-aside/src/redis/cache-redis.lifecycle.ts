import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { CACHE_ASIDE_OPTIONS, CACHE_ASIDE_STORE } from '../cache-aside.constants';
import type { ResolvedModuleOptions } from '../resolve-module-options';
import type { RedisCacheStore } from './redis-cache-store';
import { CACHE_ASIDE_REDIS_CONNECTION, type CacheRedisConnection } from './redis-connection';

/**
 * Opens the module's connections at start-up and closes exactly those at shutdown,
 * so `enableShutdownHooks()` apps exit with no open handles. The same for one
 * server, a cluster and a sentinel-watched master.
 *
 * Start-up waits for the first connection, but only up to `startupWaitMs`: without
 * the wait the first calls after `app.init()` would skip the cache while the client
 * is still connecting; without the bound an app could not boot while Redis is down.
 * Connections open in `onModuleInit` and are awaited in `onApplicationBootstrap` until
 * `startupWaitMs` after they opened, so several cache modules (named caches) connect
 * at once and their waits overlap instead of adding up.
 */
@Injectable()
export class CacheRedisLifecycle
  implements OnModuleInit, OnApplicationBootstrap, OnApplicationShutdown
{
  private readonly logger = new Logger('CacheAside');
  private connected = false;
  private firstConnection?: Promise<void>;
  private waitUntilMs = 0;

  constructor(
    @Inject(CACHE_ASIDE_OPTIONS) private readonly options: ResolvedModuleOptions,
    /** null with the memory store: nothing to open, wait for or close. */
    @Inject(CACHE_ASIDE_REDIS_CONNECTION)
    private readonly connection: CacheRedisConnection | null,
    @Inject(CACHE_ASIDE_STORE) private readonly store: RedisCacheStore,
  ) {}

  onModuleInit(): void {
    const connection = this.connection;
    if (!this.options.enabled || connection === null) return;
    this.waitUntilMs = Date.now() + this.options.startupWaitMs;
    this.firstConnection = new Promise((resolve) => {
      connection.open(() => {
        this.connected = true;
        this.store.connectionReady();
        resolve();
      });
    });
    // Waiters are woken through pub/sub (the connection keeps the subscription
    // across reconnects and failovers; a jittered poll covers the gaps).
    connection.subscribe(this.store.channel, (key) => this.store.notifySettled(key));
    // The near cache's coherence: every change of an entry or tag version, by anyone.
    if (this.store.tracksChanges) {
      connection.trackChanges(this.store.trackedPrefixes, this.store.changeFeed);
    }
  }

  async onApplicationBootstrap(): Promise<void> {
    const waitMs = this.options.startupWaitMs;
    if (!this.firstConnection || this.connected || waitMs === 0) return;
    let timer: NodeJS.Timeout | undefined;
    const gaveUp = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, Math.max(0, this.waitUntilMs - Date.now()));
    });
    await Promise.race([this.firstConnection, gaveUp]);
    clearTimeout(timer);
    if (!this.connected) {
      this.logger.warn(
        `Redis at ${this.connection?.where} did not connect within ${waitMs} ms of start-up ` +
          `(startupWaitMs); starting without it: calls are served from the loader until it connects`,
      );
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.connection?.close();
  }
}
