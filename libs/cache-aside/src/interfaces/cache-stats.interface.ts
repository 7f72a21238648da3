/** How a cached read was served. */
export type CacheStatus = 'HIT' | 'MISS' | 'STALE' | 'BYPASS';

/** Where a hit came from: this process's near cache, Redis, or the memory store (`store: 'memory'`). */
export type CacheHitSource = 'near' | 'redis' | 'memory';

export interface CacheResult<T> {
  value: T;
  status: CacheStatus;
  /** For a HIT: whether the near cache answered it (no round trip), or the store (Redis) did. */
  source?: CacheHitSource;
}

/** Counters since start (or the last `resetStats()`), per process. */
export interface CacheStats {
  /** Reads answered from a fresh entry. */
  hits: number;
  /** Reads that found no usable entry (they loaded, or waited for a load). */
  misses: number;
  /** Reads answered with a stale entry (grace), while it refreshed or its loader failed. */
  staleServed: number;
  /** Reads that went straight to the loader because Redis was unavailable, or caching is off. */
  bypasses: number;
  /** Loader runs (the database reads the cache is there to avoid). */
  loads: number;
  /** Loader runs that threw. */
  loadErrors: number;
  /** Background refreshes started early (XFetch) or for a stale entry. */
  refreshes: number;
  /** Reads that waited for another caller's load. */
  leaseWaits: number;
  /** Waits that ended by taking the lease over (the holder crashed or gave up). */
  leaseTakeovers: number;
  /** Waits that gave up at the deadline and loaded without the lease. */
  leaseWaitTimeouts: number;
  /** Fills refused because an eviction raced the load (the lease was lost) or one of its tags was invalidated meanwhile. */
  rejectedFills: number;
  /**
   * Callers that joined this process's load of a key, learned from its fill that a write
   * (from any process) landed during the load, and read again instead of taking its value.
   */
  joinRetries: number;
  /** Corrupt or foreign entries found under our keys (treated as misses). */
  corruptEntries: number;
  /** Results not cached because they were too large or not serializable. */
  uncacheableValues: number;
  /** Redis calls that failed or timed out. */
  redisErrors: number;
  /** Callers served a stale value because its refresh took longer than `softTimeoutMs`. */
  softTimeouts: number;
  /** Calls failed with CacheLoadTimeoutError: the load took longer than `hardTimeoutMs`. */
  hardTimeouts: number;
  /** Hits the near cache answered, with no round trip (also counted in `hits`). */
  nearHits: number;
  /** Reads that used the near cache and found nothing usable there (they went to Redis). */
  nearMisses: number;
  /** Near-cache entries dropped to stay within `maxEntries` / `maxBytes`. */
  nearEvictions: number;
  /** Near-cache entries dropped because their key (or one of their tags) changed in Redis or was written here. */
  nearInvalidations: number;
  /** Times the whole near cache was dropped: the tracking connection was lost or reconnected, or Redis was flushed. */
  nearFlushes: number;
}

export type CacheEventName = keyof CacheStats;

/** A Redis failure as `stats()` reports it (see docs/service-api.md#stats). */
export interface RedisFailureInfo {
  /** `timeout`, `unavailable` (not sent: circuit open, not connected), `writes-refused` (OOM, READONLY, MISCONF) or `error`. */
  kind: 'timeout' | 'unavailable' | 'writes-refused' | 'error';
  /** The library's operation that failed (`get`, `fill`, `del`, `invalidate-tags`...). */
  operation: string;
  /** Redis's or the client's message, passwords redacted. */
  message: string;
  /** When it happened, epoch milliseconds. */
  atMs: number;
}

/** `stats()`: the counters, and the state of Redis as this process sees it. */
export interface CacheStatsSnapshot extends CacheStats {
  /** The last Redis failure, or null if there was none. `resetStats()` keeps it. */
  lastRedisError: RedisFailureInfo | null;
  /** Since when (epoch ms) Redis calls have been failing; null while they succeed. */
  redisFailingSince: number | null;
  /** Since when (epoch ms) Redis has refused writes (OOM, READONLY, MISCONF); null while it takes them. */
  writesRefusedSince: number | null;
  /** Evictions that failed and wait to be applied: until they are, this process's reads bypass the cache. */
  pendingEvictions: number;
  /** The near cache now, or null when the module has none. */
  near: NearCacheState | null;
}

/** The near cache's state, in `stats()`. */
export interface NearCacheState {
  entries: number;
  /** Sum of the entries' encoded sizes. */
  bytes: number;
  /** Whether Redis is delivering invalidations now; while not, the near cache is empty and unused. */
  tracking: boolean;
}
