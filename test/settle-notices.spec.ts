import { CacheLoadFailedError } from 'nest-cache-aside';
import { sleep, startCacheApp, type CacheApp } from './support/cache-app';
import { connectTestRedis, deletePrefix, uniquePrefix, type TestRedis } from './support/redis';

jest.setTimeout(30_000);

/*
 * A lease holder's fill (or release) wakes the callers that wait for it in other processes
 * with a PUBLISH on `<prefix>:settled`. That message reaches every process subscribed (on a
 * Cluster, every node too), so it is sent only when a caller was told to wait: read-or-lease
 * marks the key's waiters in the step that answers HELD.
 */
describe('settle notices: published only when someone waits (real Redis)', () => {
  const prefix = uniquePrefix('settle');
  // A long lease: it never expires during a test, so only a notice or the fallback poll wakes a waiter.
  const LEASE_TTL_MS = 10_000;
  let redis: TestRedis;
  let subscriber: TestRedis;
  let holder: CacheApp;
  let waiter: CacheApp;
  const notices: string[] = [];

  beforeAll(async () => {
    redis = await connectTestRedis();
    subscriber = redis.duplicate();
    await subscriber.connect();
    await subscriber.subscribe(`${prefix}:settled`, (key) => notices.push(key));
    const options = { keyPrefix: prefix, earlyRefresh: false, leaseTtlMs: LEASE_TTL_MS };
    [holder, waiter] = await Promise.all([startCacheApp(options), startCacheApp(options)]);
  });

  afterAll(async () => {
    await Promise.all([holder.close(), waiter.close()]);
    await subscriber.unsubscribe();
    subscriber.destroy();
    await deletePrefix(redis, prefix);
    redis.destroy();
  });

  /** Notices for `key` that arrived so far, after a moment for the last one to arrive. */
  async function noticesFor(key: string): Promise<number> {
    await sleep(100);
    return notices.filter((notice) => notice === key).length;
  }

  it('a miss nobody waited for fills without a notice', async () => {
    await expect(holder.cache.getOrLoad('alone', () => 'v', { ttlSeconds: 30 })).resolves.toBe('v');
    expect(await redis.exists(`${prefix}:{alone}`)).toBe(1);
    expect(await noticesFor('alone')).toBe(0);
  });

  it('a caller waiting in another process is woken by one notice when the fill lands', async () => {
    let loads = 0;
    const slowLoader = async () => {
      loads++;
      await sleep(300);
      return 'filled';
    };
    const held = holder.cache.getOrLoad('waited', slowLoader, { ttlSeconds: 30 });
    await sleep(50);
    const started = performance.now();
    await expect(
      waiter.cache.getOrLoadWithStatus('waited', slowLoader, { ttlSeconds: 30 }),
    ).resolves.toMatchObject({ value: 'filled', status: 'HIT' });
    const waitedMs = performance.now() - started;
    await held;
    expect(loads).toBe(1);
    expect(waitedMs).toBeLessThan(LEASE_TTL_MS / 4);
    expect(await noticesFor('waited')).toBe(1);
    expect(await redis.exists(`${prefix}:{waited}:waiters`)).toBe(0);
  });

  it('a caller waiting in another process gets the holder’s failure at once, through the release’s notice', async () => {
    const failing = async () => {
      await sleep(300);
      throw new Error('database down');
    };
    const held = holder.cache.getOrLoad('failed', failing, { ttlSeconds: 30 });
    held.catch(() => undefined);
    await sleep(50);
    const started = performance.now();
    await expect(waiter.cache.getOrLoad('failed', failing, { ttlSeconds: 30 })).rejects.toThrow(
      CacheLoadFailedError,
    );
    expect(performance.now() - started).toBeLessThan(LEASE_TTL_MS / 4);
    await expect(held).rejects.toThrow('database down');
    expect(await noticesFor('failed')).toBe(1);
  });

  it('an eviction during the load: the rejected fill still wakes the waiter, who loads again', async () => {
    let loads = 0;
    const slowLoader = async () => {
      const load = ++loads;
      await sleep(300);
      return `load ${load}`;
    };
    const held = holder.cache.getOrLoad('evicted', slowLoader, { ttlSeconds: 30 });
    await sleep(50);
    const started = performance.now();
    const waited = waiter.cache.getOrLoad('evicted', slowLoader, { ttlSeconds: 30 });
    await sleep(50);
    await holder.cache.del('evicted'); // deletes the lease: the holder's fill is rejected
    await expect(waited).resolves.toBe('load 2');
    expect(performance.now() - started).toBeLessThan(LEASE_TTL_MS / 4);
    await expect(held).resolves.toBe('load 1');
    expect(loads).toBe(2);
  });
});
