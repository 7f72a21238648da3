import { AsyncLocalStorage } from 'node:async_hooks';
import type { CacheStatus } from './interfaces';

/** What one request's cached reads did: how they were served, and where time went. */
export interface CacheRequestRecord {
  status?: CacheStatus;
  /** Milliseconds spent waiting for Redis. */
  redisMs: number;
  /** Milliseconds spent in loaders (the database, usually). */
  loadMs: number;
}

const storage = new AsyncLocalStorage<CacheRequestRecord>();

/**
 * Lets a request learn how its cached reads were served, without threading a value
 * through user code: `CacheStatusInterceptor` opens a record per request and the
 * service writes into it. With several cached reads in one request the least
 * favourable status wins (BYPASS > MISS > STALE > HIT). Outside a request nothing
 * is recorded (and nothing is timed).
 */
export const cacheStatusContext = {
  run<R>(callback: () => R): R {
    return storage.run({ redisMs: 0, loadMs: 0 }, callback);
  },
  record(status: CacheStatus): void {
    const current = storage.getStore();
    if (current && (!current.status || rank[status] > rank[current.status])) {
      current.status = status;
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

const rank: Record<CacheStatus, number> = { HIT: 0, STALE: 1, MISS: 2, BYPASS: 3 };
