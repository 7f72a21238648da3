import type { Logger } from '@nestjs/common';
import { createSentinel, type RedisClientOptions } from 'redis';
import type { CacheRedisSentinelOptions } from '../interfaces/cache-aside-module-options.interface';
import { cacheScripts } from '../scripts';
import {
  CLOSE_TIMEOUT_MS,
  CONNECT_TIMEOUT_MS,
  TransitionLog,
  describeError,
  reconnectDelay,
  refusedUntil,
  settleWithin,
  sleep,
  subscribeUntilDone,
  type CacheRedisCommands,
  type CacheRedisConnection,
} from './connection-support';
import type { ChangeFeed } from './invalidation-tracker';

/** While the master is unreachable: how often to check whether it (or its successor) answers. */
export const MASTER_PROBE_MS = 500;

function createCacheSentinel(options: CacheRedisSentinelOptions) {
  return createSentinel({
    ...options,
    replicaPoolSize: 0, // reads too: a replica may still hold what the master just evicted
    RESP: 2,
    scripts: cacheScripts,
    // master connection errors reach our 'error' listener (logged once per transition)
    passthroughClientErrorEvents: true,
    nodeClientOptions: {
      ...options.nodeClientOptions,
      // as for one server: fail fast while disconnected, reconnect with a capped back-off
      disableOfflineQueue: true,
      socket: {
        connectTimeout: CONNECT_TIMEOUT_MS,
        ...options.nodeClientOptions?.socket,
        reconnectStrategy: reconnectDelay,
      } as RedisClientOptions['socket'],
    },
    sentinelClientOptions: {
      ...options.sentinelClientOptions,
      socket: {
        connectTimeout: CONNECT_TIMEOUT_MS,
        ...options.sentinelClientOptions?.socket,
      } as RedisClientOptions['socket'],
    },
  });
}

type CacheSentinel = ReturnType<typeof createCacheSentinel>;

/**
 * The master Redis Sentinel names, through node-redis' `createSentinel`: it asks the
 * sentinels for the master, listens to their `+switch-master` (and re-asks when the
 * master connection fails or answers READONLY), and then moves the command
 * connection and the pub/sub connection to the promoted replica.
 *
 * A call made while node-redis looks for the master waits inside node-redis; our own
 * command deadline and circuit breaker bound what the caller sees.
 */
export class SentinelConnection implements CacheRedisConnection {
  readonly commands: CacheRedisCommands;
  readonly where: string;
  private readonly sentinel: CacheSentinel;
  private readonly log: TransitionLog;
  private readonly subscriptions: Array<[string, (message: string) => void]> = [];
  private onReady: () => void = () => undefined;
  private connected = false;
  private closing = false;
  private connecting?: Promise<unknown>;
  private probing = false;
  private probeTimer?: NodeJS.Timeout;

  constructor(options: CacheRedisSentinelOptions, logger: Logger) {
    this.sentinel = createCacheSentinel(options);
    // node-redis would hold calls until it finds a master, or fail them with a TypeError
    // between two connect attempts
    this.commands = refusedUntil(
      () => this.connected,
      this.sentinel,
      `Redis Sentinel '${options.name}'`,
    );
    const sentinels = options.sentinelRootNodes.map((n) => `${n.host}:${n.port}`).join(',');
    this.where = `sentinel '${options.name}' via ${sentinels}`;
    this.log = new TransitionLog(logger);
    this.sentinel.on('error', (error: unknown) => this.failed(error));
    this.sentinel.on('topology-change', (event: { type: string; node?: unknown }) => {
      if (event.type !== 'MASTER_CHANGE' || !this.connected) return;
      const node = event.node as { host: string; port: number };
      this.log.report(
        'master',
        true,
        `Redis master of ${this.where} is now ${node.host}:${node.port}`,
      );
    });
  }

  open(onReady: () => void): void {
    this.onReady = onReady;
    void this.connectUntilClosed();
  }

  /**
   * node-redis retries the sentinels for a while (`maxCommandRediscovers` rounds, a
   * second apart) and then gives up for good; we start over, so the app keeps trying.
   */
  private async connectUntilClosed(): Promise<void> {
    for (let attempt = 0; !this.closing; attempt++) {
      try {
        this.connecting = this.sentinel.connect();
        await this.connecting;
      } catch (error) {
        this.failed(error);
        await this.sentinel.destroy().catch(() => undefined);
        await sleep(reconnectDelay(attempt));
        continue;
      } finally {
        this.connecting = undefined;
      }
      if (this.closing) return;
      this.connected = true;
      for (const [channel, listener] of this.subscriptions) this.subscribeNow(channel, listener);
      this.up();
      return;
    }
  }

  private up(): void {
    const master = this.sentinel.getMasterNode();
    const where = master ? `${master.host}:${master.port}` : 'unknown';
    this.log.report('master', true, `Connected to Redis master ${where} of ${this.where}`);
    this.log.forget('sentinels');
    this.onReady();
  }

  private failed(error: unknown): void {
    if (this.closing) return;
    const detail = describeError(error);
    if (this.connected && !detail.startsWith('Master Client')) {
      // a sentinel going away (node-redis asks another one): the master may be fine
      this.log.report('sentinels', false, `Redis Sentinel of ${this.where}: ${detail}`);
      return;
    }
    this.log.report(
      'master',
      false,
      `Redis at ${this.where} is unavailable (${detail}); serving from the loader until the master or a promoted replica answers`,
    );
    if (this.connected && !this.probeTimer) {
      this.probeTimer = setInterval(() => void this.probe(), MASTER_PROBE_MS);
      this.probeTimer.unref();
    }
  }

  /** One PING at a time while the master is down; the first answer means it is back. */
  private async probe(): Promise<void> {
    if (this.probing || this.closing) return;
    this.probing = true;
    try {
      await this.sentinel.ping();
      clearInterval(this.probeTimer);
      this.probeTimer = undefined;
      if (!this.closing) this.up();
    } catch {
      // still down
    } finally {
      this.probing = false;
    }
  }

  subscribe(channel: string, listener: (message: string) => void): void {
    this.subscriptions.push([channel, listener]);
    if (this.connected) this.subscribeNow(channel, listener);
  }

  /** node-redis resubscribes after reconnects and moves subscriptions to a new master. */
  private subscribeNow(channel: string, listener: (message: string) => void): void {
    subscribeUntilDone(
      () => this.sentinel.subscribe(channel, listener),
      () => this.closing,
    );
  }

  /** Not yet: tracking is never reported on, so a near cache stays empty (and unused). */
  trackChanges(_prefixes: readonly string[], feed: ChangeFeed): void {
    feed.tracking(false);
  }

  async close(): Promise<void> {
    this.closing = true;
    this.log.closing = true;
    clearInterval(this.probeTimer);
    const wasConnected = this.connected;
    this.connected = false; // calls from now on are refused, not sent to closing connections
    if (wasConnected) {
      await settleWithin(this.sentinel.close(), CLOSE_TIMEOUT_MS);
    }
    // also stops a connect in flight after its current round
    await settleWithin(this.sentinel.destroy(), CLOSE_TIMEOUT_MS + CONNECT_TIMEOUT_MS);
  }
}
