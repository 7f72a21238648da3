import { EventEmitter } from 'node:events';
import type { CacheEventName, CacheStats, CacheStatus } from '../interfaces';

export const STATUS_COUNTER: Record<CacheStatus, CacheEventName> = {
  HIT: 'hits',
  MISS: 'misses',
  STALE: 'staleServed',
  BYPASS: 'bypasses',
};

/** The service's counters, each also an event carrying the key (for metrics exporters). */
export class CacheCounters {
  private readonly events = new EventEmitter();
  private counters = emptyStats();

  constructor() {
    this.events.setMaxListeners(0);
  }

  count(counter: CacheEventName, key = ''): void {
    this.counters[counter]++;
    if (this.events.listenerCount(counter) > 0) this.events.emit(counter, key);
  }

  snapshot(): CacheStats {
    return { ...this.counters };
  }

  reset(): void {
    this.counters = emptyStats();
  }

  on(event: CacheEventName, listener: (key: string) => void): () => void {
    this.events.on(event, listener);
    return () => this.events.off(event, listener);
  }
}

function emptyStats(): CacheStats {
  return {
    hits: 0,
    misses: 0,
    staleServed: 0,
    bypasses: 0,
    loads: 0,
    loadErrors: 0,
    refreshes: 0,
    leaseWaits: 0,
    leaseTakeovers: 0,
    leaseWaitTimeouts: 0,
    rejectedFills: 0,
    joinRetries: 0,
    corruptEntries: 0,
    uncacheableValues: 0,
    redisErrors: 0,
    softTimeouts: 0,
    hardTimeouts: 0,
    nearHits: 0,
    nearMisses: 0,
    nearEvictions: 0,
    nearInvalidations: 0,
    nearFlushes: 0,
  };
}
