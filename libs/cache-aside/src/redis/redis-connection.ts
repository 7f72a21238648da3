import type { Logger } from '@nestjs/common';
import { createClient, type RedisClientOptions } from 'redis';
import { CacheOptionsError } from '../errors/cache-options.error';
import type { CacheRedisOptions } from '../interfaces/cache-aside-module-options.interface';
import { cacheScripts } from '../scripts';
import {
  CLOSE_TIMEOUT_MS,
  CONNECT_TIMEOUT_MS,
  TransitionLog,
  describeError,
  reconnectDelay,
  settleWithin,
  type CacheRedisCommands,
  type CacheRedisConnection,
} from './connection-support';
import { InvalidationTracker, type ChangeFeed } from './invalidation-tracker';
import { checkRedisUrl, redactRedisUrl } from './redact-redis-url';
import { ClusterConnection } from './redis-cluster-connection';
import { SentinelConnection } from './redis-sentinel-connection';

/** The module's Redis connection (`CacheRedisConnection`), owned by `CacheRedisLifecycle`. */
export const CACHE_ASIDE_REDIS_CONNECTION = Symbol('CACHE_ASIDE_REDIS_CONNECTION');

export type { CacheRedisCommands, CacheRedisConnection } from './connection-support';

export function createCacheRedisConnection(
  redis: CacheRedisOptions,
  logger: Logger,
): CacheRedisConnection {
  if (typeof redis === 'object' && 'cluster' in redis) {
    if (!Array.isArray(redis.cluster?.rootNodes) || redis.cluster.rootNodes.length === 0) {
      throw new CacheOptionsError('redis.cluster.rootNodes must list at least one node');
    }
    return new ClusterConnection(redis.cluster, logger);
  }
  if (typeof redis === 'object' && 'sentinel' in redis) {
    const sentinel = redis.sentinel;
    if (!sentinel?.name || !Array.isArray(sentinel.sentinelRootNodes)) {
      throw new CacheOptionsError('redis.sentinel needs a name and sentinelRootNodes');
    }
    if (sentinel.sentinelRootNodes.length === 0) {
      throw new CacheOptionsError(
        'redis.sentinel.sentinelRootNodes must list at least one sentinel',
      );
    }
    return new SentinelConnection(sentinel, logger);
  }
  return new StandaloneConnection(redis, logger);
}

function describeServer(redis: string | RedisClientOptions): string {
  if (typeof redis === 'string') return redactRedisUrl(redis);
  if (redis.url) return redactRedisUrl(redis.url);
  const socket: { host?: string; port?: number; path?: string } | undefined = redis.socket;
  return socket?.path ?? `${socket?.host ?? '127.0.0.1'}:${socket?.port ?? 6379}`;
}

function createServerClient(redis: string | RedisClientOptions) {
  const options: RedisClientOptions = typeof redis === 'string' ? { url: redis } : { ...redis };
  if (options.url !== undefined)
    checkRedisUrl(options.url, typeof redis === 'string' ? 'redis' : 'redis.url');
  return createClient({
    ...options,
    RESP: 2,
    disableOfflineQueue: true,
    scripts: cacheScripts,
    socket: {
      connectTimeout: CONNECT_TIMEOUT_MS,
      ...options.socket,
      reconnectStrategy: reconnectDelay,
    } as RedisClientOptions['socket'],
  });
}

type ServerClient = ReturnType<typeof createServerClient>;

/**
 * One Redis server. Fails fast while disconnected (no offline queue: a queue would
 * pile up calls that then time out) and reconnects forever with a capped back-off,
 * so a Redis that comes back later is used again without a restart.
 */
class StandaloneConnection implements CacheRedisConnection {
  readonly commands: CacheRedisCommands;
  readonly where: string;
  private readonly client: ServerClient;
  private subscriber?: ServerClient;
  private tracker?: InvalidationTracker;
  private readonly log: TransitionLog;
  private readonly options: RedisClientOptions;

  constructor(redis: string | RedisClientOptions, logger: Logger) {
    this.options = typeof redis === 'string' ? { url: redis } : redis;
    this.client = createServerClient(redis);
    this.commands = this.client;
    this.where = describeServer(redis);
    this.log = new TransitionLog(logger);
  }

  open(onReady: () => void): void {
    const down = (detail: string) =>
      this.log.report(
        'server',
        false,
        `Redis at ${this.where} is unavailable (${detail}); serving from the loader`,
      );
    this.client.on('ready', () => {
      if (this.log.report('server', true, `Connected to Redis at ${this.where}`)) onReady();
    });
    this.client.on('error', (error: unknown) => down(describeError(error)));
    this.client.on('end', () => down('connection closed'));
    this.client.connect().catch(() => undefined); // reported by the 'error' listener
  }

  /** On a connection of its own (a subscribed connection can't run commands). */
  subscribe(channel: string, listener: (message: string) => void): void {
    const subscriber = (this.subscriber ??= this.client.duplicate());
    subscriber.on('error', () => undefined); // the main connection reports the outage
    let subscribed = false;
    // node-redis resubscribes by itself after reconnects
    subscriber.on('ready', () => {
      if (subscribed) return;
      subscriber
        .subscribe(channel, listener)
        .then(() => (subscribed = true))
        .catch(() => undefined);
    });
    if (!subscriber.isOpen) subscriber.connect().catch(() => undefined);
  }

  trackChanges(prefixes: readonly string[], feed: ChangeFeed): void {
    this.tracker ??= new InvalidationTracker(this.options, prefixes, feed);
    this.tracker.start();
  }

  async close(): Promise<void> {
    this.log.closing = true;
    await Promise.all([
      closeClient(this.client),
      this.subscriber && closeClient(this.subscriber),
      this.tracker?.close(),
    ]);
  }
}

/** Resolves once a connection attempt in flight has connected or failed. */
function settled(client: ServerClient): Promise<void> {
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

async function closeClient(client: ServerClient): Promise<void> {
  if (!client.isOpen) return;
  if (!client.isReady) {
    // A connection attempt in flight completes even after destroy() and would keep
    // the process alive: let it settle (it connects or fails fast), then destroy.
    await settled(client);
    client.destroy();
    return;
  }
  await settleWithin(
    client.close().catch(() => client.destroy()),
    CLOSE_TIMEOUT_MS,
  );
  if (client.isOpen) client.destroy();
}
