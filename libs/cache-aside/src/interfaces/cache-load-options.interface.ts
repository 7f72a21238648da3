import type { CacheStorage } from '../serialization/cache-entry';
/** Options of one cached read (`getOrLoad`, `@Cacheable`); they override the module's. */
export interface CacheLoadOptions<T = unknown> {
  /**
   * A named set of options from the module's `profiles` (so TTLs can come from
   * configuration, which decorators can't see); options given here override it.
   */
  profile?: string;
  /**
   * `false` turns off single-flight and the lease for this call: a plain get, and on a
   * miss load and set, like hand-written cache-aside. Only for demonstrations and
   * comparisons (the demo page's "without protection" burst): it gives up "one load
   * per key" and "no stale set".
   * @default true
   */
  stampedeProtection?: boolean;
  /**
   * How the entry is kept: `'string'` (the whole value), `'hash'` (one Redis hash
   * field per top-level property, so `patch` can change fields in place and
   * `getFields` can read some without the rest) or `'json'` (a RedisJSON document, so
   * `patch` can also set nested paths such as `'price.amount'`; needs the RedisJSON
   * module, detected on connect: without it such entries are kept as hashes).
   * @default 'string'
   */
  storage?: CacheStorage;
  /**
   * Whether this read uses the module's near cache (module option `nearCache`): `false`
   * for values that must come from Redis every time, `true` to opt in when the module's
   * `nearCache.byDefault` is false. Needs the module option.
   * @default the module's `nearCache.byDefault`
   */
  nearCache?: boolean;
  /** Time to live in seconds. @default the module's `defaultTtlSeconds` */
  ttlSeconds?: number;
  /**
   * The TTL of this result, in seconds, chosen once it is loaded (a product about to go on
   * sale gets a short one); `undefined` keeps the call's TTL. @default none
   */
  ttlFromResult?: (value: T) => number | undefined;
  /** Time to live of a "not found" result, in seconds. @default the module's `notFoundTtlSeconds` */
  notFoundTtlSeconds?: number;
  /** Which results count as "not found". @default null or undefined */
  isNotFound?: (value: T) => boolean;
  /** Grace in seconds (0: off). @default the module's `graceSeconds` */
  graceSeconds?: number;
  /** Milliseconds a caller with a stale value waits for the refresh. @default the module's `softTimeoutMs` */
  softTimeoutMs?: number;
  /** Milliseconds after which a load without a stale stand-in fails the call. @default the module's `hardTimeoutMs` */
  hardTimeoutMs?: number;
  /** Early refresh: false, or beta. @default the module's `earlyRefresh` */
  earlyRefresh?: boolean | number;
  /** TTL jitter in percent. @default the module's `ttlJitterPercent` */
  ttlJitterPercent?: number;
  /** Return `false` to hand this result back without caching it. @default always cache */
  shouldCache?: (value: T) => boolean;
  /**
   * Tags this entry belongs to: `invalidateTags` makes every entry of a tag whose load
   * began before it a miss, in O(1). The entry records the tag sequence read before its
   * load, so an invalidation during the load keeps its result out (or makes it a miss).
   * @default none
   */
  tags?: string[];
  /**
   * Tags taken from the loaded value, with the same guarantee: an invalidation of one of
   * them after the load began keeps the result out of the cache.
   * @default none
   */
  tagsFromResult?: (value: T) => string[];
}
