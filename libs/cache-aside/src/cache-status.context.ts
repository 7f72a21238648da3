import { AsyncLocalStorage } from 'node:async_hooks';
import type { CacheStatus } from './interfaces';

interface CacheStatusRecord {
  status?: CacheStatus;
}

const storage = new AsyncLocalStorage<CacheStatusRecord>();

/**
 * Lets a request learn how its cached reads were served, without threading a value
 * through user code: `CacheStatusInterceptor` opens a record per request and the
 * decorators write into it. With several cached reads in one request the least
 * favourable status wins (BYPASS > MISS > STALE > HIT).
 */
export const cacheStatusContext = {
  run<R>(callback: () => R): R {
    return storage.run({}, callback);
  },
  record(status: CacheStatus): void {
    const current = storage.getStore();
    if (current && (!current.status || rank[status] > rank[current.status])) {
      current.status = status;
    }
  },
  current(): CacheStatus | undefined {
    return storage.getStore()?.status;
  },
};

const rank: Record<CacheStatus, number> = { HIT: 0, STALE: 1, MISS: 2, BYPASS: 3 };
