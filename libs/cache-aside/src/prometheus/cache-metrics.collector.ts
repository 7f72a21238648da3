import { Counter, register as globalRegistry } from 'prom-client';
import { CacheOptionsError } from '../errors/cache-options.error';
import type { CacheEventName, CacheStats } from '../interfaces';
import type { CacheMetricsOptions } from './cache-metrics-options.interface';

export const DEFAULT_CACHE_METRICS_PREFIX = 'cache_aside_';

const METRIC_PREFIX = /^(?:[a-zA-Z_:][a-zA-Z0-9_:]*)?$/;

interface MetricSource {
  /** Metric name after the prefix; counters end in `_total`. */
  name: string;
  help: string;
  /** The `result` label, for the four ways a read is served (one metric, so they sum to all reads). */
  result?: 'hit' | 'miss' | 'stale' | 'bypass';
}

const READS = 'reads_total';
const READS_HELP =
  'Cached reads by how they were served: hit, miss (loaded or waited for a load), stale (grace), bypass (Redis unavailable or caching off)';

// A Record over every counter of stats(): a counter the library adds is a compile
// error here until it has a metric.
const SOURCES: Record<CacheEventName, MetricSource> = {
  hits: { name: READS, help: READS_HELP, result: 'hit' },
  misses: { name: READS, help: READS_HELP, result: 'miss' },
  staleServed: { name: READS, help: READS_HELP, result: 'stale' },
  bypasses: { name: READS, help: READS_HELP, result: 'bypass' },
  loads: { name: 'loads_total', help: 'Loader runs: the reads of the source the cache saves' },
  loadErrors: { name: 'load_errors_total', help: 'Loader runs that threw' },
  refreshes: {
    name: 'refreshes_total',
    help: 'Background refreshes started early (XFetch) or for a stale entry',
  },
  leaseWaits: { name: 'lease_waits_total', help: "Reads that waited for another caller's load" },
  leaseTakeovers: {
    name: 'lease_takeovers_total',
    help: 'Lease waits that ended by taking the lease over (the holder crashed or gave up)',
  },
  leaseWaitTimeouts: {
    name: 'lease_wait_timeouts_total',
    help: 'Lease waits that gave up at the deadline and loaded without the lease',
  },
  rejectedFills: {
    name: 'rejected_fills_total',
    help: 'Fills refused because an eviction raced the load (the lease was lost)',
  },
  joinRetries: {
    name: 'join_retries_total',
    help: 'Callers that had joined a load a write overtook, and read again',
  },
  corruptEntries: {
    name: 'corrupt_entries_total',
    help: 'Corrupt or foreign entries found under the cache keys (read as misses)',
  },
  uncacheableValues: {
    name: 'uncacheable_values_total',
    help: 'Results not cached because they were too large or not serializable',
  },
  redisErrors: { name: 'redis_errors_total', help: 'Redis calls that failed or timed out' },
  softTimeouts: {
    name: 'soft_timeouts_total',
    help: 'Callers served a stale value because its refresh took longer than the soft timeout',
  },
  hardTimeouts: {
    name: 'hard_timeouts_total',
    help: 'Calls failed because their load took longer than the hard timeout',
  },
  nearHits: {
    name: 'near_hits_total',
    help: 'Hits answered by the near cache in this process, with no Redis round trip (also in reads_total)',
  },
  nearMisses: {
    name: 'near_misses_total',
    help: 'Reads that used the near cache and went on to Redis',
  },
  nearEvictions: {
    name: 'near_evictions_total',
    help: 'Near-cache entries dropped to stay within maxEntries / maxBytes',
  },
  nearInvalidations: {
    name: 'near_invalidations_total',
    help: 'Near-cache entries dropped because their key or a tag of theirs changed',
  },
  nearFlushes: {
    name: 'near_flushes_total',
    help: 'Times the whole near cache was dropped (tracking connection lost or reconnected, Redis flushed)',
  },
};

/**
 * Registers the cache's counters (`stats()`) as Prometheus counters named
 * `<prefix><name>_total`, read when the registry is scraped: nothing runs on the read
 * path. Values are this process's counts since start; `resetStats()` resets them,
 * which Prometheus treats as a counter reset (as after a restart).
 *
 * @returns a function that removes the metrics from the registry again
 * @throws CacheOptionsError for a malformed prefix, or names already in the registry
 */
export function registerCacheMetrics(
  cache: { stats(): CacheStats },
  options: CacheMetricsOptions = {},
): () => void {
  const registry = options.registry ?? globalRegistry;
  const prefix = options.prefix ?? DEFAULT_CACHE_METRICS_PREFIX;
  if (typeof prefix !== 'string' || !METRIC_PREFIX.test(prefix)) {
    throw new CacheOptionsError(
      `cache metrics prefix ${JSON.stringify(prefix)} is not a Prometheus metric name prefix (letters, digits, '_' and ':', not starting with a digit)`,
    );
  }
  const byMetric = new Map<string, [CacheEventName, MetricSource][]>();
  for (const [event, source] of Object.entries(SOURCES) as [CacheEventName, MetricSource][]) {
    const name = `${prefix}${source.name}`;
    byMetric.set(name, [...(byMetric.get(name) ?? []), [event, source]]);
  }
  const taken = [...byMetric.keys()].filter((name) => registry.getSingleMetric(name));
  if (taken.length > 0) {
    throw new CacheOptionsError(
      `cache metrics ${taken.join(', ')} are already in this registry: register them once per registry, or give each cache its own prefix`,
    );
  }
  for (const [name, sources] of byMetric) {
    const labelled = sources[0][1].result !== undefined;
    new Counter({
      name,
      help: sources[0][1].help,
      labelNames: labelled ? ['result'] : [],
      registers: [registry],
      collect() {
        const stats = cache.stats();
        this.reset();
        for (const [event, { result }] of sources) {
          if (result === undefined) this.inc(stats[event]);
          else this.inc({ result }, stats[event]);
        }
      },
    });
  }
  return () => {
    for (const name of byMetric.keys()) registry.removeSingleMetric(name);
  };
}
