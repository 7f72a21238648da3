/**
 * The near cache: decoded values kept in this process, in front of Redis, and kept
 * coherent by Redis itself (client tracking): every change of a key in Redis, by any
 * process, drops it here. See docs/near-cache.md.
 */
export interface NearCacheOptions {
  /**
   * Most entries kept; past it the least recently used go first.
   * @default 10000
   */
  maxEntries?: number;
  /**
   * Most bytes kept, counted as the entries' encoded size in Redis (the decoded objects
   * take some more heap); past it the least recently used go first. An entry larger than
   * an eighth of this is not kept.
   * @default 67108864 (64 MiB)
   */
  maxBytes?: number;
  /**
   * Longest an entry stays here, in seconds, whatever its TTL in Redis (it never outlives
   * its fresh time there either): the bound on staleness should an invalidation ever be
   * lost without its connection dropping, which flushes the near cache.
   * @default 60
   */
  maxTtlSeconds?: number;
  /**
   * Whether reads use the near cache unless a decorator or call says `nearCache: false`;
   * with `false`, only those that say `nearCache: true` do.
   * @default true
   */
  byDefault?: boolean;
  /**
   * What a near-cache hit returns: `'copy'` (its own deep copy on every hit, so callers
   * can't change each other's value) or `'frozen'` (the same deeply frozen instance for
   * every hit: no copy, and a caller that tries to change it gets a TypeError in strict
   * code; a Map, Set or Date inside can still be changed through its methods).
   * @default 'copy'
   */
  values?: 'copy' | 'frozen';
}
