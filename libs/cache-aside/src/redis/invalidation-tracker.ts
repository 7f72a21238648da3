import { createClient, type RedisClientOptions } from 'redis';
import { CONNECT_TIMEOUT_MS, reconnectDelay, settleWithin, sleep } from './connection-support';

/** Where a server's invalidations go: changed Redis key names, or null for "everything". */
export interface ChangeFeed {
  changed(redisKeys: string[] | null): void;
  /** Whether this server's changes are delivered now. */
  tracking(on: boolean): void;
}

/** How often the tracking connection checks that its server still answers, and how long it waits. */
export const HEARTBEAT_MS = 1000;
const HEARTBEAT_TIMEOUT_MS = 2000;

/** Redis's channel for client-tracking invalidations (RESP2 redirect mode). */
const INVALIDATE_CHANNEL = '__redis__:invalidate';

/** The options of one server's tracking connection: the command connection's, without its reconnects. */
export function trackingClientOptions(options: RedisClientOptions): RedisClientOptions {
  return {
    ...options,
    RESP: 2,
    name: 'nest-cache-aside:tracking',
    socket: {
      connectTimeout: CONNECT_TIMEOUT_MS,
      ...options.socket,
      // a dropped tracking connection has lost invalidations: it is replaced whole, after a flush
      reconnectStrategy: false,
    },
  };
}

/**
 * One server's changes under some key prefixes, through Redis client tracking in
 * broadcast mode (`CLIENT TRACKING ON BCAST PREFIX ...`): the server reports every key
 * under them that changes (written, deleted, expired, evicted under maxmemory, flushed),
 * whoever changed it. Broadcast, rather than the default mode (only keys this
 * connection read), because then tracking belongs to this one connection and not to
 * the command connections node-redis pools, reconnects and moves in a cluster or
 * sentinel set-up: there is exactly one thing whose loss must be noticed.
 *
 * The connection redirects its invalidations to itself and subscribes to them (RESP2,
 * which the library uses for speed). It never reconnects: when it drops, whatever
 * changed meanwhile went unreported, so the feed is told tracking is off (the near
 * cache flushes) and a new connection starts over; tracking is on again once it has
 * subscribed.
 */
export class InvalidationTracker {
  private client?: ReturnType<typeof createClient>;
  private closing = false;
  private running?: Promise<void>;

  constructor(
    /** A function when the server can move (a sentinel's master): read again on every attempt. */
    private readonly options: RedisClientOptions | (() => RedisClientOptions),
    private readonly prefixes: readonly string[],
    private readonly feed: ChangeFeed,
  ) {}

  start(): void {
    this.running ??= this.run();
  }

  private async run(): Promise<void> {
    for (let attempt = 0; !this.closing; attempt++) {
      const options = typeof this.options === 'function' ? this.options() : this.options;
      const client = createClient(trackingClientOptions(options));
      this.client = client;
      let markLost!: () => void;
      const lost = new Promise<void>((resolve) => (markLost = resolve));
      client.on('error', markLost);
      client.on('end', markLost);
      try {
        await client.connect();
        const id = await client.sendCommand<number>(['CLIENT', 'ID']);
        await client.sendCommand([
          'CLIENT',
          'TRACKING',
          'ON',
          'REDIRECT',
          String(id),
          'BCAST',
          ...this.prefixes.flatMap((prefix) => ['PREFIX', prefix]),
        ]);
        await client.subscribe(INVALIDATE_CHANNEL, (keys) =>
          this.feed.changed(keys as unknown as string[] | null),
        );
        if (this.closing) break;
        attempt = -1; // it worked: the next loss reconnects after the shortest pause
        this.feed.tracking(true);
        const heartbeat = this.watch(client, markLost);
        await lost;
        clearInterval(heartbeat);
        this.feed.tracking(false);
      } catch {
        // connect or set-up failed (tracking was never on): retried below, with back-off
      }
      destroyQuietly(client);
      if (!this.closing) await sleep(reconnectDelay(attempt));
    }
  }

  /**
   * A frozen or cut-off server keeps the connection open but sends nothing, and silence
   * would read as "nothing changed": a PING every second (allowed while subscribed) that
   * isn't answered within two means the feed is lost.
   */
  private watch(client: { ping(): Promise<unknown> }, markLost: () => void): NodeJS.Timeout {
    let outstandingSinceMs: number | undefined;
    const timer = setInterval(() => {
      if (outstandingSinceMs !== undefined) {
        if (Date.now() - outstandingSinceMs > HEARTBEAT_TIMEOUT_MS) markLost();
        return;
      }
      outstandingSinceMs = Date.now();
      client.ping().then(
        () => (outstandingSinceMs = undefined),
        () => markLost(),
      );
    }, HEARTBEAT_MS);
    timer.unref();
    return timer;
  }

  async close(): Promise<void> {
    this.closing = true;
    if (this.client) destroyQuietly(this.client);
    if (this.running) await settleWithin(this.running, CONNECT_TIMEOUT_MS + 500);
  }
}

/** node-redis throws when destroying a client that has already closed (the lost connection). */
function destroyQuietly(client: { isOpen: boolean; destroy(): void }): void {
  if (!client.isOpen) return;
  try {
    client.destroy();
  } catch {
    // closed meanwhile
  }
}
