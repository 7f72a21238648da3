import { Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { register as globalRegistry, Registry } from 'prom-client';
import {
  CacheAsideModule,
  CacheAsideService,
  CacheOptionsError,
  Cacheable,
  type CacheStats,
} from 'nest-cache-aside';
import { CacheMetricsModule, registerCacheMetrics } from 'nest-cache-aside/prometheus';
import { waitUntilConnected } from './support/cache-app';
import {
  connectTestRedis,
  deletePrefix,
  REDIS_URL,
  uniquePrefix,
  type TestRedis,
} from './support/redis';
import { thrownBy } from './support/thrown-by';

jest.setTimeout(30_000);

@Injectable()
class PriceService {
  loads = 0;

  @Cacheable({ key: 'price:{0}', ttlSeconds: 60 })
  async price(id: number): Promise<number> {
    this.loads++;
    return id * 10;
  }
}

const COUNTER_NAMES: Record<
  Exclude<keyof CacheStats, 'hits' | 'misses' | 'staleServed' | 'bypasses'>,
  string
> = {
  loads: 'loads_total',
  loadErrors: 'load_errors_total',
  refreshes: 'refreshes_total',
  leaseWaits: 'lease_waits_total',
  leaseTakeovers: 'lease_takeovers_total',
  leaseWaitTimeouts: 'lease_wait_timeouts_total',
  rejectedFills: 'rejected_fills_total',
  joinRetries: 'join_retries_total',
  corruptEntries: 'corrupt_entries_total',
  uncacheableValues: 'uncacheable_values_total',
  redisErrors: 'redis_errors_total',
  softTimeouts: 'soft_timeouts_total',
  hardTimeouts: 'hard_timeouts_total',
  nearHits: 'near_hits_total',
  nearMisses: 'near_misses_total',
  nearEvictions: 'near_evictions_total',
  nearInvalidations: 'near_invalidations_total',
  nearFlushes: 'near_flushes_total',
};

/** The sample lines of a scrape, `name{labels}` to value. */
function samples(text: string): Map<string, number> {
  const found = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    found.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return found;
}

function expectScrapeToMatch(scraped: Map<string, number>, stats: CacheStats, prefix: string) {
  expect(scraped.get(`${prefix}reads_total{result="hit"}`)).toBe(stats.hits);
  expect(scraped.get(`${prefix}reads_total{result="miss"}`)).toBe(stats.misses);
  expect(scraped.get(`${prefix}reads_total{result="stale"}`)).toBe(stats.staleServed);
  expect(scraped.get(`${prefix}reads_total{result="bypass"}`)).toBe(stats.bypasses);
  for (const [counter, name] of Object.entries(COUNTER_NAMES)) {
    expect(scraped.get(`${prefix}${name}`)).toBe(stats[counter as keyof typeof COUNTER_NAMES]);
  }
  // Nothing else, and nothing of ours missing: 4 read results + the other counters.
  expect([...scraped.keys()].filter((key) => key.startsWith(prefix))).toHaveLength(
    4 + Object.keys(COUNTER_NAMES).length,
  );
}

describe('Prometheus metrics of the cache (nest-cache-aside/prometheus, real Redis)', () => {
  const keyPrefix = uniquePrefix('prometheus');
  let redis: TestRedis;

  beforeAll(async () => {
    redis = await connectTestRedis();
  });

  afterAll(async () => {
    await deletePrefix(redis, keyPrefix);
    redis.destroy();
  });

  async function startApp(metrics: Parameters<typeof CacheMetricsModule.forRoot>[0]) {
    @Module({
      imports: [
        CacheAsideModule.forRoot({ redis: REDIS_URL, keyPrefix, isGlobal: true }),
        CacheMetricsModule.forRoot(metrics),
      ],
      providers: [PriceService],
    })
    class MetricsTestModule {}
    const app = await NestFactory.createApplicationContext(MetricsTestModule, { logger: false });
    await waitUntilConnected(app.get(CacheAsideService));
    app.get(CacheAsideService).resetStats();
    return app;
  }

  it('exposes every counter of stats() under conventional names, read on scrape', async () => {
    const registry = new Registry();
    const app = await startApp({ registry });
    try {
      const prices = app.get(PriceService);
      const cache = app.get(CacheAsideService);
      await prices.price(1);
      await prices.price(1);
      await prices.price(2);
      expect(prices.loads).toBe(2);

      const first = await registry.metrics();
      expect(first).toContain('# TYPE cache_aside_reads_total counter');
      expect(first).toContain('# TYPE cache_aside_loads_total counter');
      const scraped = samples(first);
      expect(scraped.get('cache_aside_reads_total{result="hit"}')).toBe(1);
      expect(scraped.get('cache_aside_reads_total{result="miss"}')).toBe(2);
      expect(scraped.get('cache_aside_loads_total')).toBe(2);
      expectScrapeToMatch(scraped, cache.stats(), 'cache_aside_');

      // Collected on scrape: the next scrape has the reads since, not a copy of the first.
      await prices.price(2);
      const second = samples(await registry.metrics());
      expect(second.get('cache_aside_reads_total{result="hit"}')).toBe(2);
      expectScrapeToMatch(second, cache.stats(), 'cache_aside_');
    } finally {
      await app.close();
    }
    // Closing the app removes its metrics from the registry.
    expect(await registry.metrics()).not.toContain('cache_aside_');
  });

  it('uses the global registry by default and unregisters on close, so the next app can register', async () => {
    for (let round = 0; round < 2; round++) {
      const app = await startApp({});
      try {
        await app.get(PriceService).price(7);
        const scraped = samples(await globalRegistry.metrics());
        expectScrapeToMatch(scraped, app.get(CacheAsideService).stats(), 'cache_aside_');
      } finally {
        await app.close();
      }
      expect(globalRegistry.getSingleMetric('cache_aside_reads_total')).toBeUndefined();
    }
  });

  it('takes a prefix, and says what to do when names are already registered', async () => {
    const registry = new Registry();
    const stats = { stats: (): CacheStats => ({ ...zeroStats(), hits: 3 }) };
    const unregister = registerCacheMetrics(stats, { registry, prefix: 'products_cache_' });
    expect(samples(await registry.metrics()).get('products_cache_reads_total{result="hit"}')).toBe(
      3,
    );

    const twice = thrownBy(
      () => registerCacheMetrics(stats, { registry, prefix: 'products_cache_' }),
      CacheOptionsError,
    );
    expect(twice.message).toContain(
      'cache metrics products_cache_reads_total, products_cache_loads_total',
    );
    expect(twice.message).toContain(
      'register them once per registry, or give each cache its own prefix',
    );
    expect(() =>
      registerCacheMetrics(stats, { registry, prefix: 'sessions_cache_' }),
    ).not.toThrow();

    unregister();
    expect(registry.getSingleMetric('products_cache_reads_total')).toBeUndefined();
    expect(registry.getSingleMetric('sessions_cache_reads_total')).toBeDefined();
  });

  it.each(['cache-aside_', '1cache_', 'cache aside', 'é_'])('rejects the prefix %j', (prefix) => {
    const error = thrownBy(
      () => registerCacheMetrics({ stats: zeroStats }, { registry: new Registry(), prefix }),
      CacheOptionsError,
    );
    expect(error.message).toBe(
      `cache metrics prefix ${JSON.stringify(prefix)} is not a Prometheus metric name prefix (letters, digits, '_' and ':', not starting with a digit)`,
    );
  });
});

function zeroStats(): CacheStats {
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
