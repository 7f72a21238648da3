import { createClient, type RedisClientOptions } from 'redis';
import { CONNECT_TIMEOUT_MS, reconnectDelay, settleWithin, sleep } from './connection-support';

/** Where a server's invalidations go: changed Redis key names, or null for "everything". */
export interface ChangeFeed {
  changed(redisKeys: string[] | null): void;
  /** Whether this server's changes are delivered now. */
  tracking(on: boolean): void;
}

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
    private readonly options: RedisClientOptions,
    private readonly prefixes: readonly string[],
    private readonly feed: ChangeFeed,
  ) {}

  start(): void {
    this.running ??= this.run();
  }

  private async run(): Promise<void> {
    for (let attempt = 0; !this.closing; attempt++) {
      const client = createClient(trackingClientOptions(this.options));
      this.client = client;
      const lost = new Promise<void>((resolve) => {
        client.on('error', () => resolve());
        client.on('end', () => resolve());
      });
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
        await lost;
        this.feed.tracking(false);
      } catch {
        // connect or set-up failed (tracking was never on): retried below, with back-off
      }
      client.destroy();
      if (!this.closing) await sleep(reconnectDelay(attempt));
    }
  }

  async close(): Promise<void> {
    this.closing = true;
    const client = this.client;
    if (client?.isOpen) client.destroy();
    if (this.running) await settleWithin(this.running, CONNECT_TIMEOUT_MS + 500);
  }
}
