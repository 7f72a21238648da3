/**
 * Messages between the staleness bench (process A, the writer) and its reader process (B),
 * one JSON object a line. Times are ms on the machine's monotonic clock (see `monotonicMs`),
 * which both processes share, unlike each one's `performance.now()`.
 */

/** What every cached value of the part looks like: the version is what B watches. */
export interface VersionedValue {
  version: number;
  payload: string;
}

export interface ReaderConfig {
  /** The bench app's prefix (createBenchApp), the same in both processes: same keys in Redis. */
  appPrefix: string;
  /** The stand-in database: `<dbPrefix>:<key>` holds the current version (outside the cache's prefix). */
  dbPrefix: string;
  keys: string[];
  ttlSeconds: number;
}

export type ReaderCommand = { type: 'start' } | { type: 'stop' };

/** B saw a key's version change: sent once per new version. */
export interface ChangeReport {
  type: 'change';
  key: string;
  version: number;
  /** Start and end of B's first read that returned this version. */
  firstNewReadStart: number;
  firstNewReadEnd: number;
  /**
   * When B's near cache dropped this key on an invalidation from Redis, since B's previous
   * report of the key (from the library's `nest-cache-aside:event` diagnostics channel,
   * published as the entry is dropped). May hold one left over from the key's previous
   * update (the fill after a del), which A tells apart by time.
   */
  receipts: number[];
  /** Starts of B's reads of this key that returned an older version, since its previous report (the last 64). */
  oldReadStarts: number[];
  /** Where that first new read came from ('near', 'redis', or the status when no hit). */
  source: string;
}

export interface ReaderSummary {
  type: 'summary';
  reads: number;
  /** Reads answered by B's near cache, and its counters at the end. */
  nearReads: number;
  nearInvalidations: number;
  nearFlushes: number;
  /** Reads whose loader ran in B (the key was missing in Redis: after a del, before A's fill). */
  loads: number;
}

export type ReaderMessage = { type: 'ready' } | { type: 'started' } | ChangeReport | ReaderSummary;

/** The machine's monotonic clock in ms: CLOCK_MONOTONIC, the same in every process. */
export function monotonicMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}
