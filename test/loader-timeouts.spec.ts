import { CacheLoadTimeoutError } from 'nest-cache-aside';
import { sleep, startCacheApp, type CacheApp } from './support/cache-app';
import { connectTestRedis, deletePrefix, uniquePrefix, type TestRedis } from './support/redis';
import { rejectionOf } from './support/thrown-by';
import { runWorkers } from './support/workers';

jest.setTimeout(30_000);

const slowly =
  <T>(value: T, ms: number, counter?: { loads: number }) =>
  async () => {
    if (counter) counter.loads++;
    await sleep(ms);
    return value;
  };

describe('loader timeouts (real Redis)', () => {
  const prefix = uniquePrefix('timeouts');
  let redis: TestRedis;
  let node: CacheApp;
  let peer: CacheApp;

  beforeAll(async () => {
    redis = await connectTestRedis();
    node = await startCacheApp({ keyPrefix: prefix, earlyRefresh: false });
    peer = await startCacheApp({ keyPrefix: prefix, earlyRefresh: false });
  });

  afterAll(async () => {
    await Promise.all([node.close(), peer.close()]);
    await deletePrefix(redis, prefix);
    redis.destroy();
  });

  async function staleEntry(key: string) {
    await node.cache.getOrLoad(key, async () => 'old', { ttlSeconds: 0.05, graceSeconds: 30 });
    await sleep(80);
  }

  describe('soft timeout (a stale value can stand in)', () => {
    it('the caller gets the stale value once the soft timeout passed; the refresh fills later', async () => {
      await staleEntry('soft:1');
      node.cache.resetStats();
      const started = performance.now();
      const result = await node.cache.getOrLoadWithStatus('soft:1', slowly('new', 400), {
        ttlSeconds: 30,
        graceSeconds: 30,
        softTimeoutMs: 100,
      });
      const waited = performance.now() - started;
      expect(result).toEqual({ value: 'old', status: 'STALE' });
      expect(waited).toBeGreaterThanOrEqual(95);
      expect(waited).toBeLessThan(400);
      expect(node.cache.stats().softTimeouts).toBe(1);
      await sleep(450);
      expect(await node.cache.get('soft:1')).toBe('new');
    });

    it('a refresh faster than the soft timeout is served fresh', async () => {
      await staleEntry('soft:2');
      const result = await node.cache.getOrLoadWithStatus('soft:2', slowly('new', 30), {
        ttlSeconds: 30,
        graceSeconds: 30,
        softTimeoutMs: 300,
      });
      expect(result).toEqual({ value: 'new', status: 'MISS' });
    });

    it('without a soft timeout the stale value comes at once (stale-while-revalidate)', async () => {
      await staleEntry('soft:3');
      const started = performance.now();
      const result = await node.cache.getOrLoadWithStatus('soft:3', slowly('new', 300), {
        ttlSeconds: 30,
        graceSeconds: 30,
      });
      expect(result).toEqual({ value: 'old', status: 'STALE' });
      expect(performance.now() - started).toBeLessThan(100);
    });

    it('a waiter in another instance waits no longer than the soft timeout either', async () => {
      await staleEntry('soft:4');
      const options = { ttlSeconds: 30, graceSeconds: 30, softTimeoutMs: 100 };
      const holder = node.cache.getOrLoadWithStatus('soft:4', slowly('new', 500), options);
      await sleep(20); // the holder has the lease
      const started = performance.now();
      const waiter = await peer.cache.getOrLoadWithStatus('soft:4', slowly('other', 10), options);
      expect(waiter).toEqual({ value: 'old', status: 'STALE' });
      expect(performance.now() - started).toBeLessThan(400);
      expect((await holder).status).toBe('STALE');
    });
  });

  describe('hard timeout (no stale value)', () => {
    it('fails the call with CacheLoadTimeoutError; the load goes on and fills', async () => {
      node.cache.resetStats();
      const counter = { loads: 0 };
      const started = performance.now();
      const error = await rejectionOf(
        () => node.cache.getOrLoad('hard:1', slowly('value', 400, counter), { hardTimeoutMs: 100 }),
        CacheLoadTimeoutError,
      );
      const waited = performance.now() - started;
      expect(error).toMatchObject({ code: 'CACHE_LOAD_TIMEOUT', key: 'hard:1', timeoutMs: 100 });
      expect(waited).toBeGreaterThanOrEqual(95);
      expect(waited).toBeLessThan(400);
      expect(node.cache.stats().hardTimeouts).toBe(1);
      await sleep(450);
      expect(await node.cache.get('hard:1')).toBe('value');
      expect(counter.loads).toBe(1);
    });

    it('a waiter in another instance gives up at its hard timeout, not at the lock wait', async () => {
      const holder = node.cache.getOrLoad('hard:2', slowly('value', 600));
      await sleep(20);
      const started = performance.now();
      await rejectionOf(
        () => peer.cache.getOrLoad('hard:2', slowly('other', 10), { hardTimeoutMs: 100 }),
        CacheLoadTimeoutError,
      );
      expect(performance.now() - started).toBeLessThan(500);
      expect(await holder).toBe('value');
    });

    it('across 4 processes: every caller fails at the hard timeout, the loader ran once and filled', async () => {
      const workerPrefix = `${prefix}-workers`;
      const reports = await runWorkers(
        Array.from({ length: 4 }, () => ({
          prefix: workerPrefix,
          key: 'product:1',
          concurrency: 5,
          mode: 'burst' as const,
          loaderDelayMs: 1500,
          ttlSeconds: 30,
          hardTimeoutMs: 300,
        })),
      );
      const errors = reports.flatMap((report) => report.errors);
      expect(errors).toHaveLength(20);
      for (const error of errors) expect(error).toMatch(/^CacheLoadTimeoutError/);
      const latencies = reports.flatMap((report) => report.latenciesMs);
      expect(Math.max(...latencies)).toBeLessThan(1500);
      expect(Number(await redis.get(`${workerPrefix}-loads`))).toBe(1);
      await redis.del([
        `${workerPrefix}-loads`,
        `${workerPrefix}-active`,
        `${workerPrefix}-loading`,
      ]);
    });
  });
});
