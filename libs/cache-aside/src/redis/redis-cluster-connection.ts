import type { Logger } from '@nestjs/common';
import { createCluster, type RedisClientOptions } from 'redis';
import type { CacheRedisClusterOptions } from '../interfaces/cache-aside-module-options.interface';
import { cacheScripts } from '../scripts';
import {
  CLOSE_TIMEOUT_MS,
  CONNECT_TIMEOUT_MS,
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
import { checkRedisUrl, redactRedisUrl } from './redact-redis-url';

/** While a node is unreachable: how often to ask the cluster whether a replica took over. */
export const FAILED_NODE_REFRESH_MS = 500;
/** And in any case, to pick up changes nothing told us about. */
export const TOPOLOGY_REFRESH_MS = 30_000;

function createCacheCluster(options: CacheRedisClusterOptions) {
  return createCluster({
    ...options,
    useReplicas: false, // reads too: a replica may still hold what the master just evicted
    RESP: 2,
    scripts: cacheScripts,
    defaults: {
      ...options.defaults,
      // as for one server: fail fast while a node is disconnected, reconnect forever
      disableOfflineQueue: true,
      socket: {
        connectTimeout: CONNECT_TIMEOUT_MS,
        ...options.defaults?.socket,
        reconnectStrategy: reconnectDelay,
      } as RedisClientOptions['socket'],
    },
  });
}

type CacheCluster = ReturnType<typeof createCacheCluster>;
type NodeClient = NonNullable<CacheCluster['masters'][number]['client']>;

function describeNode(node: { url?: string; socket?: unknown }): string {
  if (node.url) return redactRedisUrl(node.url);
  const socket = node.socket as { host?: string; port?: number } | undefined;
  return `${socket?.host ?? '127.0.0.1'}:${socket?.port ?? 6379}`;
}

/**
 * Redis Cluster through node-redis' `createCluster`. Every call of the store names
 * keys of one hash slot, so node-redis routes it to the master owning that slot
 * (scripts included: it routes EVALSHA by the first key, and reloads a script a
 * promoted replica doesn't have yet).
 *
 * node-redis learns the topology at connect and on MOVED/ASK replies only, and a
 * dead master sends neither: its slots would stay unreachable after a replica took
 * over. So when a node reports an error, the topology is re-read every
 * {@link FAILED_NODE_REFRESH_MS} until every node answers again, and every
 * {@link TOPOLOGY_REFRESH_MS} in any case.
 *
 * Fill notifications are PUBLISHed from the scripts on the key's master; in a
 * cluster a PUBLISH reaches subscribers on every node (the cluster bus forwards it),
 * so one subscription, on any node, hears every shard. node-redis moves it to
 * another node when its node leaves the topology.
 */
export class ClusterConnection implements CacheRedisConnection {
  readonly commands: CacheRedisCommands;
  readonly where: string;
  /** node-redis' cluster client (tests look at its topology). */
  readonly cluster: CacheCluster;
  /** Places reported unavailable, each logged once until every node answers again. */
  private readonly down = new Set<string>();
  private readonly subscriptions: Array<[string, (message: string) => void]> = [];
  private onReady: () => void = () => undefined;
  private connected = false;
  private announced = false;
  private closing = false;
  private connecting?: Promise<unknown>;
  private refreshing?: Promise<void>;
  private failedNodeTimer?: NodeJS.Timeout;
  private periodicTimer?: NodeJS.Timeout;

  constructor(
    options: CacheRedisClusterOptions,
    private readonly logger: Logger,
  ) {
    options.rootNodes.forEach((node, i) => {
      if (node.url !== undefined) checkRedisUrl(node.url, `redis.cluster.rootNodes[${i}].url`);
    });
    if (options.defaults?.url !== undefined) {
      checkRedisUrl(options.defaults.url, 'redis.cluster.defaults.url');
    }
    this.where = `cluster ${options.rootNodes.map(describeNode).join(',')}`;
    this.cluster = createCacheCluster(options);
    // node-redis would fail calls with a TypeError on its empty slot map until then
    this.commands = refusedUntil(() => this.connected, this.cluster, `Redis ${this.where}`);
    // discovery failures: no root node answered, or a topology refresh failed
    this.cluster.on('error', (error: unknown) => this.nodeFailed(this.where, error));
    this.cluster.on('node-error', (error: unknown, node: { host: string; port: number }) =>
      this.nodeFailed(`${node.host}:${node.port}`, error),
    );
  }

  open(onReady: () => void): void {
    this.onReady = onReady;
    void this.connectUntilClosed();
  }

  private async connectUntilClosed(): Promise<void> {
    for (let attempt = 0; !this.closing; attempt++) {
      try {
        this.connecting = this.cluster.connect();
        await this.connecting;
      } catch (error) {
        this.nodeFailed(this.where, error);
        await sleep(reconnectDelay(attempt));
        continue;
      } finally {
        this.connecting = undefined;
      }
      if (this.closing) return;
      this.connected = true;
      this.periodicTimer = setInterval(() => void this.refresh(), TOPOLOGY_REFRESH_MS);
      this.periodicTimer.unref();
      for (const [channel, listener] of this.subscriptions) this.subscribeNow(channel, listener);
      this.checkAllNodesUp();
      return;
    }
  }

  private nodeFailed(place: string, error: unknown): void {
    if (this.closing) return;
    if (!this.down.has(place)) {
      this.down.add(place);
      const detail = describeError(error);
      this.logger.warn(
        !this.connected
          ? `Redis at ${place} is unavailable (${detail}); serving from the loader`
          : place === this.where
            ? `Redis Cluster topology refresh failed (${detail}); retrying`
            : `Redis Cluster node ${place} is unavailable (${detail}); its slots are served from the loader until it is back or a replica took over`,
      );
    }
    if (this.connected && !this.failedNodeTimer) {
      this.failedNodeTimer = setInterval(() => void this.refresh(), FAILED_NODE_REFRESH_MS);
      this.failedNodeTimer.unref();
    }
  }

  /** Re-reads the slot map (one at a time), then checks whether every node answers. */
  private refresh(): Promise<void> {
    this.refreshing ??= this.rediscover().finally(() => {
      this.refreshing = undefined;
      if (!this.closing) this.checkAllNodesUp();
    });
    return this.refreshing;
  }

  private async rediscover(): Promise<void> {
    const clients = this.nodes()
      .map((node) => node.client)
      .filter((client): client is NodeClient => client !== undefined);
    const startWith = clients.find((client) => client.isReady) ?? clients[0];
    if (!startWith) return;
    try {
      // node-redis' own rediscovery (what a MOVED reply triggers): asks that node,
      // then the root nodes, for the slots; drops nodes that left, connects new ones,
      // moves the pub/sub connection off a node that left.
      await this.cluster._slots.rediscover(startWith);
    } catch {
      // reported through the cluster's 'error' event
    }
    if (!this.closing && this.subscriptions.length > 0 && !this.cluster.pubSubNode) {
      // the pub/sub connection was lost while moving: subscribe again
      for (const [channel, listener] of this.subscriptions) this.subscribeNow(channel, listener);
    }
  }

  private nodes() {
    return [...this.cluster.masters, ...this.cluster.replicas];
  }

  /** Once every node of the topology answers: log it, and tell the store (once per recovery). */
  private checkAllNodesUp(): void {
    const nodes = this.nodes();
    if (nodes.length === 0 || nodes.some((node) => node.client && !node.client.isReady)) return;
    clearInterval(this.failedNodeTimer);
    this.failedNodeTimer = undefined;
    if (this.announced && this.down.size === 0) return;
    const masters = this.cluster.masters.map((m) => m.address).join(', ');
    this.logger.log(
      this.announced
        ? `Redis Cluster answers on every node again: masters ${masters}`
        : `Connected to Redis ${this.where}: masters ${masters}`,
    );
    this.announced = true;
    this.down.clear();
    this.onReady();
  }

  subscribe(channel: string, listener: (message: string) => void): void {
    this.subscriptions.push([channel, listener]);
    if (this.connected) this.subscribeNow(channel, listener);
  }

  private subscribeNow(channel: string, listener: (message: string) => void): void {
    subscribeUntilDone(
      () => this.cluster.subscribe(channel, listener),
      () => this.closing,
    );
  }

  /** Not yet: tracking is never reported on, so a near cache stays empty (and unused). */
  trackChanges(_prefixes: readonly string[], feed: ChangeFeed): void {
    feed.tracking(false);
  }

  async close(): Promise<void> {
    this.closing = true;
    clearInterval(this.failedNodeTimer);
    clearInterval(this.periodicTimer);
    const wasConnected = this.connected;
    this.connected = false; // calls from now on are refused, not sent to closing nodes
    if (wasConnected) {
      await settleWithin(this.refreshing ?? Promise.resolve(), CLOSE_TIMEOUT_MS);
      await settleWithin(this.cluster.close(), CLOSE_TIMEOUT_MS);
    } else if (this.connecting) {
      // stops discovery between root nodes; a connection still in flight settles
      // within the connect timeout, and whatever it opened is destroyed after it
      this.cluster.destroy();
      await settleWithin(this.connecting, CONNECT_TIMEOUT_MS + 500);
    }
    this.cluster.destroy(); // whatever close() left open (a node that never answered)
  }
}
