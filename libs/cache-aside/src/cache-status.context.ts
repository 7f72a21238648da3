import { AsyncLocalStorage } from 'node:async_hooks';
import { promiseHooks } from 'node:v8';
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

/** How a record follows a request through its awaits. */
export type CacheStatusCarrier = 'async-local-storage' | 'promise-hooks';

interface Carrier {
  run<R>(record: CacheRequestRecord, callback: () => R): R;
  get(): CacheRequestRecord | undefined;
}

/**
 * AsyncLocalStorage, where it is cheap: on Node 24 (and 22 with
 * --experimental-async-context-frame) it rides on V8's continuation data, with no hook
 * on any promise. It follows every kind of callback (timers, nextTick, emitters).
 */
function asyncLocalStorageCarrier(): Carrier {
  const storage = new AsyncLocalStorage<CacheRequestRecord>();
  return {
    run: (record, callback) => storage.run(record, callback),
    get: () => storage.getStore(),
  };
}

/**
 * Where AsyncLocalStorage is built on async_hooks (Node 20; Node 22 by default), its hooks
 * on every promise of the process allocate async ids, keep a resource stack and copy
 * stores: a promise-bound loop runs 2.2x slower with it. This does the one thing the
 * record needs with V8's promise hooks and a variable: a promise created while a record
 * is current carries it, and its reactions run with it. The same loop runs 1.4x slower,
 * most of it V8's own price for having any promise hook. It follows promises and async
 * functions (which is how a handler reaches the cache); a callback of a timer, nextTick
 * or event emitter runs with no record (those reads are served the same, only not
 * reported). Installed on the first request recorded: an app that records none pays nothing.
 */
function promiseHookCarrier(): Carrier {
  const RECORD = Symbol('nest-cache-aside.request');
  type Tagged = Promise<unknown> & { [RECORD]?: CacheRequestRecord };
  let current: CacheRequestRecord | undefined;
  const outer: (CacheRequestRecord | undefined)[] = [];
  let installed = false;
  const install = () => {
    installed = true;
    promiseHooks.onInit((promise: Tagged) => {
      if (current !== undefined) promise[RECORD] = current;
    });
    promiseHooks.onBefore((promise: Tagged) => {
      outer.push(current);
      current = promise[RECORD];
    });
    // A job whose start came before the hooks has no entry: it ends with no record.
    promiseHooks.onAfter(() => {
      current = outer.pop();
    });
  };
  return {
    run(record, callback) {
      if (!installed) install();
      const previous = current;
      current = record;
      try {
        return callback();
      } finally {
        current = previous;
      }
    },
    get: () => current,
  };
}

/** AsyncLocalStorage built on AsyncContextFrame has none of the async_hooks internals. */
export function defaultCarrier(): CacheStatusCarrier {
  return '_propagate' in AsyncLocalStorage.prototype ? 'promise-hooks' : 'async-local-storage';
}

let carrierName = defaultCarrier();
let carrier = carrierName === 'promise-hooks' ? promiseHookCarrier() : asyncLocalStorageCarrier();

/** Tests and the bench: record with the other carrier (no request may be in flight). */
export function useCacheStatusCarrier(name: CacheStatusCarrier): void {
  if (name === carrierName) return;
  carrierName = name;
  carrier = name === 'promise-hooks' ? promiseHookCarrier() : asyncLocalStorageCarrier();
}

/**
 * Lets a request learn how its cached reads were served, without threading a value
 * through user code: `CacheStatusInterceptor` opens a record per request and the
 * service writes into it. With several cached reads in one request the least
 * favourable status wins (BYPASS > MISS > STALE > HIT, and for hits Redis > near).
 * Outside a request nothing is recorded (and nothing is timed).
 */
export const cacheStatusContext = {
  get carrier(): CacheStatusCarrier {
    return carrierName;
  },
  /** Runs `callback` with a new record (or `record`) as the current request's. */
  run<R>(callback: () => R, record: CacheRequestRecord = { redisMs: 0, loadMs: 0 }): R {
    return carrier.run(record, callback);
  },
  record(status: CacheStatus, source?: CacheHitSource): void {
    const current = carrier.get();
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
    return carrier.get();
  },
  current(): CacheStatus | undefined {
    return carrier.get()?.status;
  },
};

/** Near hits rank below other hits: a Redis hit (or one of unknown source) took a round trip. */
function rank(status: CacheStatus, source: CacheHitSource | undefined): number {
  return RANK[status] + (status === 'HIT' && source !== 'near' ? 0.5 : 0);
}

const RANK: Record<CacheStatus, number> = { HIT: 0, STALE: 1, MISS: 2, BYPASS: 3 };
