import type { Logger } from '@nestjs/common';
import type { ChangeFeed } from './invalidation-tracker';
import { redactSecrets } from './redact-redis-url';

type ScriptArgument = string | number;

/**
 * Every command the store sends, and nothing else: a node-redis client, cluster and
 * sentinel all have this shape (each key argument of one call shares a hash slot, so
 * the cluster routes every call to the one node that owns it).
 */
export interface CacheRedisCommands {
  get(key: string): Promise<string | null>;
  hGetAll(key: string): Promise<Record<string, string>>;
  hmGet(key: string, fields: string[]): Promise<Array<string | null>>;
  /** RedisJSON's JSON.GET of a whole document (node-redis parses it). */
  json: { get(key: string): Promise<unknown> };
  del(keys: string[]): Promise<number>;
  pTTL(key: string): Promise<number>;
  ping(): Promise<string>;
  readOrLease(...args: ScriptArgument[]): Promise<Array<string | number | string[] | null>>;
  fillIfLeased(...args: ScriptArgument[]): Promise<number>;
  releaseLease(...args: ScriptArgument[]): Promise<number>;
  extendLease(...args: ScriptArgument[]): Promise<number>;
  writeEntry(...args: ScriptArgument[]): Promise<number>;
  patchEntry(...args: ScriptArgument[]): Promise<number>;
  patchJsonEntry(...args: ScriptArgument[]): Promise<number>;
  readTagSequence(...args: ScriptArgument[]): Promise<string>;
  bumpTagSequence(...args: ScriptArgument[]): Promise<string>;
  invalidateTag(...args: ScriptArgument[]): Promise<number>;
  keepTag(...args: ScriptArgument[]): Promise<string>;
}

/**
 * One Redis deployment (a server, a cluster, a sentinel-watched master): its
 * commands, its fill notifications, and its lifecycle. Opening never throws and never
 * waits: it keeps trying in the background, so the app boots while Redis is down.
 */
export interface CacheRedisConnection {
  readonly commands: CacheRedisCommands;
  /** Where, for logs: never with a password. */
  readonly where: string;
  /** Connects in the background; `onReady` runs whenever Redis is usable again. */
  open(onReady: () => void): void;
  /** Keeps `listener` subscribed to `channel` across reconnects and failovers. */
  subscribe(channel: string, listener: (message: string) => void): void;
  /**
   * Reports every change of a key under `prefixes` on every server of the deployment
   * (Redis client tracking, see InvalidationTracker), and whether changes are being
   * reported at all: off while any server's tracking connection is down or moving
   * (failover, new master), on when every server's is up again.
   */
  trackChanges(prefixes: readonly string[], feed: ChangeFeed): void;
  /** Closes every connection this one opened (also while still connecting). */
  close(): Promise<void>;
}

/**
 * `client`'s commands, refused at once with a plain "not connected" error until
 * `isConnected()` (a cluster before it knows its slots, a sentinel client before it
 * found the master: node-redis would hold such calls or fail them with a TypeError).
 */
export function refusedUntil(
  isConnected: () => boolean,
  client: CacheRedisCommands,
  what: string,
): CacheRedisCommands {
  const when = <T>(command: () => Promise<T>): Promise<T> =>
    isConnected() ? command() : Promise.reject(new Error(`not connected to ${what} yet`));
  return {
    get: (key) => when(() => client.get(key)),
    hGetAll: (key) => when(() => client.hGetAll(key)),
    hmGet: (key, fields) => when(() => client.hmGet(key, fields)),
    json: { get: (key) => when(() => client.json.get(key)) },
    del: (keys) => when(() => client.del(keys)),
    pTTL: (key) => when(() => client.pTTL(key)),
    ping: () => when(() => client.ping()),
    readOrLease: (...args) => when(() => client.readOrLease(...args)),
    fillIfLeased: (...args) => when(() => client.fillIfLeased(...args)),
    releaseLease: (...args) => when(() => client.releaseLease(...args)),
    extendLease: (...args) => when(() => client.extendLease(...args)),
    writeEntry: (...args) => when(() => client.writeEntry(...args)),
    patchEntry: (...args) => when(() => client.patchEntry(...args)),
    patchJsonEntry: (...args) => when(() => client.patchJsonEntry(...args)),
    readTagSequence: (...args) => when(() => client.readTagSequence(...args)),
    bumpTagSequence: (...args) => when(() => client.bumpTagSequence(...args)),
    invalidateTag: (...args) => when(() => client.invalidateTag(...args)),
    keepTag: (...args) => when(() => client.keepTag(...args)),
  };
}

const MAX_RECONNECT_DELAY_MS = 2000;
export const CONNECT_TIMEOUT_MS = 2000;
export const CLOSE_TIMEOUT_MS = 2000;

/** Capped exponential back-off: 50 ms, 100 ms, ... 2 s. */
export function reconnectDelay(retries: number): number {
  return Math.min(50 * 2 ** Math.min(retries, 10), MAX_RECONNECT_DELAY_MS);
}

/** A pause of a background retry loop: never what keeps a process alive. */
export const sleep = (ms: number) =>
  new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

/**
 * Subscribes in the background, retrying with back-off until it succeeds or the
 * connection is closing (node-redis resubscribes by itself after reconnects).
 */
export function subscribeUntilDone(
  subscribe: () => Promise<unknown>,
  isClosing: () => boolean,
): void {
  void (async () => {
    for (let attempt = 0; !isClosing(); attempt++) {
      try {
        await subscribe();
        return;
      } catch {
        await sleep(reconnectDelay(attempt));
      }
    }
  })();
}

/** Resolves when `promise` settles or after `ms`, whichever comes first; never rejects. */
export async function settleWithin(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    promise.then(
      () => undefined,
      () => undefined,
    ),
    new Promise<void>((resolve) => (timer = setTimeout(resolve, ms))),
  ]);
  clearTimeout(timer);
}

export function describeError(error: unknown): string {
  return redactSecrets(error instanceof Error ? error.message : String(error));
}

/**
 * Logs a place going down or up once per transition, never per failed request, and
 * never with a password in the text. Silent once closing.
 */
export class TransitionLog {
  private readonly up = new Map<string, boolean>();
  closing = false;

  constructor(private readonly logger: Logger) {}

  /** True when this is a change (and was logged). */
  report(place: string, nowUp: boolean, message: string): boolean {
    if (this.closing || this.up.get(place) === nowUp) return false;
    this.up.set(place, nowUp);
    if (nowUp) this.logger.log(message);
    else this.logger.warn(message);
    return true;
  }

  /** The next transition of `place` is logged again, whichever it is. */
  forget(place: string): void {
    this.up.delete(place);
  }
}
