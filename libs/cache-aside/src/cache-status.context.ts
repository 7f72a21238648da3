import { AsyncLocalStorage } from 'node:async_hooks';
import type { CacheHitSource, CacheStatus } from './interfaces';

/** What one request's cached reads did: how they were served, and where time went. */
export interface CacheRequestRecord {
  status?: CacheStatus;
  /** For a HIT: where the least favourable hit came from (Redis over the near cache). */
  source?: CacheHitSource;
  /** Milliseconds spent waiting for Redis. */
  redisMs: number;
  /** Milliseconds spent in loaders (the database, usually). */
  loadMs: number;
}

/*
 * The record follows a request with AsyncLocalStorage, on every Node. A carrier of our own
 * on V8's promise hooks (Node 20's default until this change) was dropped:
 * - most production Nest apps already run AsyncLocalStorage (OpenTelemetry's context
 *   manager, nestjs-cls, loggers), so on Node 20 its async_hooks cost is paid anyway, and
 *   our own promise hooks would add to it (empty V8 promise hooks alone measured 0.96x);
 * - it did not follow timers, nextTick or event emitters, AsyncLocalStorage does;
 * - it gained ~4% on Node 20 only, which reached end of life in April 2026;
 * - on Node 24 AsyncLocalStorage rides on V8's continuation data (AsyncContextFrame) and
 *   costs nothing measurable.
 */
const storage = new AsyncLocalStorage<CacheRequestRecord>();

/**
 * Lets a request learn how its cached reads were served, without threading a value
 * through user code: `CacheStatusInterceptor` opens a record per request and the
 * service writes into it. With several cached reads in one request the least
 * favourable status wins (BYPASS > MISS > STALE > HIT, and for hits Redis > near).
 * Outside a request nothing is recorded (and nothing is timed).
 */
export const cacheStatusContext = {
  /** Runs `callback` with a new record (or `record`) as the current request's. */
  run<R>(callback: () => R, record: CacheRequestRecord = { redisMs: 0, loadMs: 0 }): R {
    return storage.run(record, callback);
  },
  record(status: CacheStatus, source?: CacheHitSource): void {
    const current = storage.getStore();
    if (!current) return;
    if (
      current.status === undefined ||
      rank(status, source) > rank(current.status, current.source)
    ) {
      current.status = status;
      current.source = status === 'HIT' ? source : undefined;
    }
  },
  /** The current request's record, if a request is being recorded. */
  active(): CacheRequestRecord | undefined {
    return storage.getStore();
  },
  current(): CacheStatus | undefined {
    return storage.getStore()?.status;
  },
};

/** Near hits rank below other hits: a Redis hit (or one of unknown source) took a round trip. */
function rank(status: CacheStatus, source: CacheHitSource | undefined): number {
  return RANK[status] + (status === 'HIT' && source !== 'near' ? 0.5 : 0);
}

const RANK: Record<CacheStatus, number> = { HIT: 0, STALE: 1, MISS: 2, BYPASS: 3 };
