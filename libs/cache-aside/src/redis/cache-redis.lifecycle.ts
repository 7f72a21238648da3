import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import {
  CACHE_ASIDE_OPTIONS,
  CACHE_ASIDE_REDIS_CLIENT,
  CACHE_ASIDE_STORE,
} from '../cache-aside.constants';
import type { ResolvedModuleOptions } from '../resolve-module-options';
import type { RedisCacheStore } from './redis-cache-store';
import { describeRedis, logConnectionTransitions, type CacheRedisClient } from './redis-connection';

const CLOSE_TIMEOUT_MS = 2000;

function settled(client: CacheRedisClient): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, CLOSE_TIMEOUT_MS);
    function done() {
      clearTimeout(timer);
      client.off('ready', done);
      client.off('error', done);
      resolve();
    }
    client.once('ready', done);
    client.once('error', done);
  });
}

/**
 * Opens the module's connections at start-up without waiting for them (an app must
 * boot while Redis is down, and start caching once it appears) and closes exactly
 * those at shutdown, so `enableShutdownHooks()` apps exit with no open handles.
 */
@Injectable()
export class CacheRedisLifecycle implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('CacheAside');
  private subscriber?: CacheRedisClient;
  /** Set at shutdown: the connection ending then is expected, not an outage to report. */
  private closing = false;

  constructor(
    @Inject(CACHE_ASIDE_OPTIONS) private readonly options: ResolvedModuleOptions,
    @Inject(CACHE_ASIDE_REDIS_CLIENT) private readonly client: CacheRedisClient,
    @Inject(CACHE_ASIDE_STORE) private readonly store: RedisCacheStore,
  ) {}

  onModuleInit(): void {
    if (!this.options.enabled) return;
    const where = describeRedis(this.options.redis);
    logConnectionTransitions(
      this.client,
      where,
      this.logger,
      (up) => {
        if (up) this.store.connectionReady();
      },
      () => this.closing,
    );
    this.client.connect().catch(() => undefined); // reported by the 'error' listener

    // Waiters are woken through pub/sub on a connection of its own (a subscribed
    // connection can't run commands). node-redis resubscribes after reconnects.
    const subscriber = this.client.duplicate();
    this.subscriber = subscriber;
    subscriber.on('error', () => undefined); // the main connection reports the outage
    let subscribed = false;
    subscriber.on('ready', () => {
      if (subscribed) return;
      subscriber
        .subscribe(this.store.channel, (key: string) => this.store.notifySettled(key))
        .then(() => (subscribed = true))
        .catch(() => undefined);
    });
    subscriber.connect().catch(() => undefined);
  }

  async onApplicationShutdown(): Promise<void> {
    this.closing = true;
    await Promise.all([close(this.client), this.subscriber && close(this.subscriber)]);
  }
}

async function close(client: CacheRedisClient): Promise<void> {
  if (!client.isOpen) return;
  if (!client.isReady) {
    // A connection attempt in flight completes even after destroy() and would keep
    // the process alive: let it settle (it connects or fails fast), then destroy.
    await settled(client);
    client.destroy();
    return;
  }
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    client.close().catch(() => client.destroy()),
    new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        client.destroy();
        resolve();
      }, CLOSE_TIMEOUT_MS);
    }),
  ]);
  clearTimeout(timer);
}
