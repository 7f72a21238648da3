import type { RedisClientOptions, RedisClusterOptions, RedisSentinelOptions } from 'redis';
import type { NearCacheOptions } from './near-cache-options.interface';
import type { CacheLoadOptions } from './cache-load-options.interface';

/**
 * What the library sets itself on every connection, so these can't be passed:
 * RESP 2, our Lua scripts, no modules or functions, no client-side caching.
 */
type OwnedByTheLibrary =
  'RESP' | 'scripts' | 'modules' | 'functions' | 'commandOptions' | 'clientSideCache';

/**
 * node-redis `createCluster` options: `rootNodes` (a few nodes to discover the
 * topology from, `{ url }` or `{ socket: { host, port } }`), `defaults` (options every
 * node connection gets: password, ACL user, TLS, timeouts), `nodeAddressMap`,
 * `maxCommandRedirections`... Not `useReplicas`: every read goes to the slot's master,
 * because a replica can still hold an entry the master has just evicted.
 */
export type CacheRedisClusterOptions = Omit<RedisClusterOptions, OwnedByTheLibrary | 'useReplicas'>;

/**
 * node-redis `createSentinel` options: `name` (the master's name in the sentinels),
 * `sentinelRootNodes` (`{ host, port }` of some sentinels), `nodeClientOptions`
 * (options of the master connections: password, TLS...), `sentinelClientOptions`
 * (the same for the sentinels), `scanInterval`, `maxCommandRediscovers`... Not
 * `replicaPoolSize`: every read goes to the master, for the same reason as in a cluster.
 */
export type CacheRedisSentinelOptions = Omit<
  RedisSentinelOptions,
  OwnedByTheLibrary | 'replicaPoolSize' | 'passthroughClientErrorEvents'
>;

/**
 * Redis for the cache: a URL, node-redis client options (one server), a Redis
 * Cluster (`{ cluster: { rootNodes } }`) or a master behind Redis Sentinel
 * (`{ sentinel: { name, sentinelRootNodes } }`).
 */
export type CacheRedisOptions =
  | string
  | RedisClientOptions
  | { cluster: CacheRedisClusterOptions }
  | { sentinel: CacheRedisSentinelOptions };

/** Options of `CacheAsideModule.forRoot` / `forRootAsync`. Per-call options override these. */
export interface CacheAsideModuleOptions {
  /**
   * Where entries live: `'redis'`, or `'memory'` for tests of your own services
   * without Redis: the same read path (single-flight, leases, TTLs, evictions, tags,
   * patches) over a store in this process's memory, with no Redis connection at all
   * (the `redis` option is ignored). One process only: not for production, where
   * "one load per key" must hold across the fleet.
   * @default 'redis'
   */
  store?: 'redis' | 'memory';
  /**
   * Redis to connect to:
   * - a URL (`redis://user:pass@host:6379/0`, `rediss://` for TLS) or node-redis client options;
   * - `{ cluster: { rootNodes: [{ url: 'redis://10.0.0.1:6379' }, ...], defaults? } }`: Redis
   *   Cluster through node-redis' `createCluster`. The topology is refreshed every 500 ms
   *   while a node is unreachable (a failover promotes its replica) and every 30 s anyway;
   * - `{ sentinel: { name: 'mymaster', sentinelRootNodes: [{ host, port }], nodeClientOptions? } }`:
   *   the master Redis Sentinel names, through node-redis' `createSentinel`, which follows
   *   failovers (`+switch-master`).
   *
   * The module owns these connections: it opens them at start-up (waiting up to
   * `startupWaitMs` for the first one: the app boots even when Redis is down, and keeps
   * retrying) and closes them at shutdown.
   * @default 'redis://127.0.0.1:6379'
   */
  redis?: CacheRedisOptions;
  /**
   * Prefix of every key the library writes (`<prefix>:{<key>}`). Letters, digits, `_ . : -` only.
   * @default 'cache'
   */
  keyPrefix?: string;
  /**
   * Time to live of an entry, in seconds, when a decorator or call gives none.
   * @default 60
   */
  defaultTtlSeconds?: number;
  /**
   * Time to live, in seconds, of a "not found" result (null, undefined, or what
   * `isNotFound` accepts). Evicting the key clears it like any entry.
   * @default the entry's own TTL
   */
  notFoundTtlSeconds?: number;
  /**
   * How long application start-up (`app.init()`, `app.listen()`) waits for the first
   * connection to Redis, in milliseconds, so the first calls use the cache instead of
   * skipping it. Past this, the app starts without Redis (with a warning): calls are
   * served from the loader until the connection, which keeps retrying, comes up.
   * 0 doesn't wait. The default covers a connection to a server, a cluster's slot
   * discovery or a sentinel's master lookup on a normal network (milliseconds to a few
   * hundred), with room for a Redis that is just (re)starting, and it holds a deploy
   * up by at most 3 s when Redis is really down.
   * @default 3000
   */
  startupWaitMs?: number;
  /**
   * Bound on every Redis call the library makes, in milliseconds. A slower call is
   * treated as a Redis failure: the read becomes a miss, the write is skipped.
   * @default 50
   */
  commandTimeoutMs?: number;
  /**
   * Failed Redis calls in a row after which the circuit opens: calls then skip Redis
   * and go straight to the loader, without paying the timeout each time.
   * @default 5
   */
  breakerFailureThreshold?: number;
  /**
   * How long the circuit stays open before one probe call is let through, in milliseconds.
   * @default 1000
   */
  breakerOpenMs?: number;
  /**
   * Loader runs allowed at once in this process while Redis is unavailable (calls for
   * one key share one run anyway); the rest queue, so the database doesn't take an
   * unbounded storm when the cache is gone.
   * @default 32
   */
  maxConcurrentLoadsWithoutRedis?: number;
  /**
   * Evictions that failed while Redis was unreachable are kept (up to this many keys
   * and tags) and applied when Redis answers again, before cached reads are trusted.
   * Past this many, the oldest are dropped with an error log and those entries can be
   * stale until their TTL.
   * @default 10000
   */
  maxPendingEvictions?: number;
  /**
   * Time to live of a load lease, in milliseconds. The holder extends it while its
   * loader runs; if the holder crashes, the others take over after at most this long.
   * @default 5000
   */
  leaseTtlMs?: number;
  /**
   * How long a caller waits for another caller's load of the same key, in milliseconds,
   * before it loads itself (or serves stale, when grace allows).
   * @default 10000
   */
  lockWaitTimeoutMs?: number;
  /**
   * Seconds an entry is kept past its TTL and served stale while one caller refreshes
   * it, or while the loader fails. 0 turns grace off. Evicted entries are never served stale.
   * @default 0
   */
  graceSeconds?: number;
  /**
   * With grace: how long a caller that has a stale value waits for its refresh before it
   * gets the stale value, in milliseconds; the load goes on in the background under its
   * lease and fills the cache when it completes. 0: the stale value at once.
   * @default 0
   */
  softTimeoutMs?: number;
  /**
   * A load slower than this fails the call with a `CacheLoadTimeoutError` when no stale
   * value can stand in, in milliseconds; the load goes on in the background and still
   * fills the cache. Callers waiting for that load, in any process, give up as soon. 0: none.
   * @default 0
   */
  hardTimeoutMs?: number;
  /**
   * After a failed load (with grace), how long the fleet waits before loading that key
   * again, in milliseconds, serving the stale value meanwhile.
   * @default 1000
   */
  failureBackoffMs?: number;
  /**
   * Early refresh (XFetch): a hit close to expiry refreshes the entry in the background,
   * with a probability that grows as expiry nears and with the entry's measured load time.
   * `false` turns it off; a number sets beta (higher: earlier).
   * @default 1
   */
  earlyRefresh?: boolean | number;
  /**
   * Random spread added to every TTL, in percent (10 means +-10%), so entries loaded
   * together don't expire together.
   * @default 0
   */
  ttlJitterPercent?: number;
  /**
   * Largest encoded value the library writes, in bytes. Larger results are returned
   * to the caller but not cached (with a warning).
   * @default 1048576 (1 MiB)
   */
  maxValueBytes?: number;
  /**
   * Named option sets a decorator or call picks with `profile: 'name'`, e.g.
   * `{ pages: { ttlSeconds: config.pageTtl, tags: [...] } }`: how configuration reaches
   * decorators, whose arguments are fixed when the class is defined.
   * @default {}
   */
  profiles?: Record<string, Omit<CacheLoadOptions, 'profile' | 'tags'>>;
  /**
   * A near cache in this process in front of Redis: hits answered from memory, with no
   * round trip, and kept coherent by Redis client tracking (any change of a key in Redis
   * drops it here within the time Redis takes to tell us; read-your-writes in the
   * writing process). `true` for the defaults. Ignored with `store: 'memory'`.
   * See docs/near-cache.md for what it guarantees and costs.
   * @default false
   */
  nearCache?: boolean | NearCacheOptions;
  /**
   * Put every entry this module writes in one internal tag, so `evictAll()` can
   * invalidate them all at once without scanning the keyspace. Costs what a tag costs:
   * a tag version read on every hit and two script calls per miss.
   * @default false
   */
  trackAllKeys?: boolean;
  /**
   * `false` switches caching off: decorated methods run as if undecorated and the
   * service's `getOrLoad` calls the loader. For tests of your own services.
   * @default true
   */
  enabled?: boolean;
}
