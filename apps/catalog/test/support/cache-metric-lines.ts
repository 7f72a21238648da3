import type { CacheStats } from 'nest-cache-aside';

/** What /metrics must say for these stats: the Prometheus lines of nest-cache-aside/prometheus. */
export function cacheMetricLines(stats: CacheStats): string[] {
  return [
    `cache_aside_reads_total{result="hit"} ${stats.hits}`,
    `cache_aside_reads_total{result="miss"} ${stats.misses}`,
    `cache_aside_reads_total{result="stale"} ${stats.staleServed}`,
    `cache_aside_reads_total{result="bypass"} ${stats.bypasses}`,
    `cache_aside_loads_total ${stats.loads}`,
    `cache_aside_load_errors_total ${stats.loadErrors}`,
    `cache_aside_refreshes_total ${stats.refreshes}`,
    `cache_aside_lease_waits_total ${stats.leaseWaits}`,
    `cache_aside_lease_takeovers_total ${stats.leaseTakeovers}`,
    `cache_aside_lease_wait_timeouts_total ${stats.leaseWaitTimeouts}`,
    `cache_aside_rejected_fills_total ${stats.rejectedFills}`,
    `cache_aside_join_retries_total ${stats.joinRetries}`,
    `cache_aside_corrupt_entries_total ${stats.corruptEntries}`,
    `cache_aside_uncacheable_values_total ${stats.uncacheableValues}`,
    `cache_aside_redis_errors_total ${stats.redisErrors}`,
  ].map((line) => `${line}\n`);
}
