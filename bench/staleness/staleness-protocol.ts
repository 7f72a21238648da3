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
  /** Start of B's last read that returned an older version (null: none since the last change). */
  lastOldReadStart: number | null;
  /**
   * When B first saw its near cache's invalidation counter move since its previous change
   * report (null: it did not move, e.g. no near cache): B has received the invalidation.
   */
  invalidatedAt: number | null;
  /** Reads of the older version that started after `invalidatedAt`: served though B knew. */
  oldReadsAfterInvalidation: number;
  /** Where that first new read came from. */
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
