import { spawnSync } from 'node:child_process';
import type { CacheAsideModuleOptions } from 'nest-cache-aside';
import type { NearCache } from '../libs/cache-aside/src/near-cache/near-cache';
import { sleep, startCacheApp, type CacheApp } from './support/cache-app';
import { warm } from './support/near-cache';
import {
  connectTestRedis,
  deletePrefix,
  REDIS_URL,
  uniquePrefix,
  type TestRedis,
} from './support/redis';

/**
 * The near cache against the shared Redis: hits from memory, dropped by every change of
 * the key in Redis (another instance's writes, a raw client's, expiry), never served past
 * the entry's freshness, and never shared mutably between callers.
 */
describe('near cache', () => {
  let redis: TestRedis;
  const apps: CacheApp[] = [];
  let prefix: string;

  beforeAll(async () => {
    redis = await connectTestRedis();
  });
  afterAll(async () => {
    redis.destroy();
  });
  beforeEach(() => {
    prefix = uniquePrefix('near');
  });
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()));
    await deletePrefix(redis, prefix);
  });

  async function instance(options: CacheAsideModuleOptions = {}): Promise<CacheApp> {
    const app = await startCacheApp({ keyPrefix: prefix, nearCache: true, ...options });
    apps.push(app);
    await until(() => app.cache.stats().near?.tracking === true);
    return app;
  }

  it('answers the second read from memory, with no round trip, and says so', async () => {
    const { cache } = await instance();
    let loads = 0;
    const load = () => ({ id: 1, loads: ++loads });
    expect(await cache.getOrLoadWithStatus('p:1', load)).toMatchObject({ status: 'MISS' });
    expect(await cache.getOrLoadWithStatus('p:1', load)).toMatchObject({
      status: 'HIT',
      source: 'redis',
    });
    await warm(() => cache.getOrLoadWithStatus('p:1', load));
    const near = await cache.getOrLoadWithStatus('p:1', load);
    expect(near).toEqual({ value: { id: 1, loads: 1 }, status: 'HIT', source: 'near' });
    expect(loads).toBe(1);
    expect(cache.stats().nearHits).toBeGreaterThanOrEqual(2);
    expect(cache.stats().near).toMatchObject({ entries: 1, tracking: true });
  });

  it("drops an entry when another instance deletes it, within Redis's delivery time", async () => {
    const reader = await instance();
    const writer = await instance();
    let version = 1;
    const load = () => ({ version });
    await warm(() => reader.cache.getOrLoadWithStatus('p:2', load));
    version = 2;
    await writer.cache.del('p:2');
    await until(() => reader.cache.stats().nearInvalidations === 1);
    expect(await reader.cache.getOrLoad('p:2', load)).toEqual({ version: 2 });
  });

  it("a caller reading in a loop that never yields sees another process's write after one read: hits are answered after the loop polls for I/O", async () => {
    const { cache } = await instance();
    let version = 1;
    const load = () => ({ version });
    await warm(() => cache.getOrLoadWithStatus('p:loop', load));
    version = 2;
    // Another process deletes the key. spawnSync holds this event loop, so the invalidation
    // Redis sends meanwhile waits unread in the tracking socket until the loop polls.
    const url = new URL(REDIS_URL);
    const deleted = spawnSync(
      'redis-cli',
      ['-h', url.hostname, '-p', url.port || '6379', 'DEL', `${prefix}:{p:loop}`],
      {
        encoding: 'utf8',
      },
    );
    expect(deleted.stdout.trim()).toBe('1');
    // Answered in microtasks, every one of these reads would get version 1 from memory.
    const versions: number[] = [];
    for (let i = 0; i < 100; i++) versions.push((await cache.getOrLoad('p:loop', load)).version);
    const stale = versions.filter((seen) => seen === 1).length;
    expect(stale).toBeLessThanOrEqual(1); // a read answered before the loop's next poll
    expect(versions[versions.length - 1]).toBe(2);
  });

  it("a read that starts after another process's write has been delivered doesn't join this process's load from before it", async () => {
    const reader = await instance();
    const writer = await instance();
    let row = 1;
    const load = async () => {
      const version = row; // the row as the load reads it, before its slow part
      await sleep(300);
      return { version };
    };
    const early = reader.cache.getOrLoad('p:flight', load);
    await sleep(50); // the load of version 1 is under way in the reader
    row = 2;
    await writer.cache.set('p:flight', { version: 2 }, 30); // write-through from another process
    await sleep(50); // Redis's invalidation reaches the reader (sub-millisecond on loopback)
    expect(await reader.cache.getOrLoad('p:flight', load)).toEqual({ version: 2 });
    expect(await early).toEqual({ version: 1 }); // began before the write: its own callers keep it
  });

  it('drops an entry written or deleted by any client, before the writer in this process resolves', async () => {
    const { cache } = await instance();
    await cache.getOrLoad('p:3', () => 'old');
    await cache.getOrLoad('p:3', () => 'old');
    // read-your-writes: the local entry is gone when del resolves, not when Redis tells
    await cache.del('p:3');
    expect(await cache.getOrLoadWithStatus('p:3', () => 'new')).toMatchObject({
      value: 'new',
      status: 'MISS',
    });
    await warm(() => cache.getOrLoadWithStatus('p:3', () => 'newer'));
    await redis.del(`${prefix}:{p:3}`); // a raw client, not the library
    await until(() => cache.stats().near?.entries === 0);
    expect(await cache.getOrLoadWithStatus('p:3', () => 'raw')).toMatchObject({
      value: 'raw',
      status: 'MISS',
    });
  });

  it('drops the entries of an invalidated tag, in this process at once and in others when Redis tells', async () => {
    const a = await instance();
    const b = await instance();
    let round = 1;
    const read = (app: CacheApp, id: number) =>
      app.cache.getOrLoadWithStatus(`t:${id}`, () => ({ id, round }), { tags: ['rows'] });
    for (const app of [a, b]) for (const id of [1, 2]) await warm(() => read(app, id));
    round = 2;
    await a.cache.invalidateTags('rows');
    expect((await read(a, 1)).value).toEqual({ id: 1, round: 2 });
    await until(() => b.cache.stats().near?.entries === 0);
    expect((await read(b, 2)).value).toEqual({ id: 2, round: 2 });
  });

  describe('a value whose key changed while its read was in flight is not kept', () => {
    /**
     * The reader's GET returns the old value; before the reply is handed on, another
     * instance deletes the key and the reader receives Redis's invalidation. Returns what
     * the reader serves next.
     */
    async function readRacingADelete(unsafe: boolean): Promise<{ value: string; source?: string }> {
      const reader = await instance();
      const writer = await instance();
      nearCacheOf(reader).unsafeSkipInFlightCheck = unsafe;
      let version = 'v1';
      await reader.cache.getOrLoad('race', () => version);
      await sleep(50); // the fill's own invalidation has arrived: the key isn't in memory
      expect(reader.cache.stats().near?.entries).toBe(0);
      const delivered = invalidationsOf(reader, `${prefix}:{race}`);
      // a near-cache read reaches Redis through read-or-lease (it reads and leases in one step)
      const readOrLease = reader.store.readOrLease.bind(reader.store);
      reader.store.readOrLease = async (key, request) => {
        const reply = await readOrLease(key, request); // FRESH with 'v1', from Redis
        reader.store.readOrLease = readOrLease;
        version = 'v2';
        await writer.cache.del('race');
        await delivered; // the invalidation reached the reader while its read was in flight
        return reply;
      };
      expect(await reader.cache.getOrLoadWithStatus('race', () => version)).toMatchObject({
        value: 'v1', // it began before the delete: serving it is fine, keeping it is not
        source: 'redis',
      });
      return reader.cache.getOrLoadWithStatus('race', () => version);
    }

    it('the next read loads the new value', async () => {
      expect(await readRacingADelete(false)).toMatchObject({ value: 'v2', status: 'MISS' });
    });

    it('without the in-flight check (test-only switch) the old value stays in memory', async () => {
      expect(await readRacingADelete(true)).toMatchObject({ value: 'v1', source: 'near' });
    });
  });

  it('never serves an entry past its fresh time, nor past maxTtlSeconds', async () => {
    const { cache } = await instance({ nearCache: { maxTtlSeconds: 0.3 } });
    let loads = 0;
    const read = (key: string, ttlSeconds: number) =>
      cache.getOrLoadWithStatus(key, () => ++loads, { ttlSeconds, earlyRefresh: false });
    await warm(() => read('short', 0.4));
    await sleep(450);
    expect(await read('short', 0.4)).toMatchObject({ status: 'MISS', value: 2 });

    await warm(() => read('long', 60));
    await sleep(350);
    // gone from memory after maxTtlSeconds; Redis still has it
    expect(await read('long', 60)).toMatchObject({ status: 'HIT', source: 'redis' });
  });

  it('hands every caller its own copy (default), or one frozen instance', async () => {
    const copying = await instance();
    const value = () => ({ tags: ['a'], at: new Date(0), counts: new Map([['x', 1]]) });
    await warm(() => copying.cache.getOrLoadWithStatus('obj', value));
    const first = await copying.cache.getOrLoadWithStatus<ReturnType<typeof value>>('obj', value);
    expect(first.source).toBe('near');
    first.value.tags.push('changed');
    first.value.at.setTime(1);
    first.value.counts.set('x', 2);
    const second = await copying.cache.getOrLoad('obj', value);
    expect(second).toEqual(value());

    const frozen = await instance({ keyPrefix: `${prefix}:f`, nearCache: { values: 'frozen' } });
    await warm(() => frozen.cache.getOrLoadWithStatus('obj', value));
    const shared = await frozen.cache.getOrLoad<ReturnType<typeof value>>('obj', value);
    expect(Object.isFrozen(shared.tags)).toBe(true);
    expect(() => shared.tags.push('changed')).toThrow(TypeError);
    expect(await frozen.cache.getOrLoad('obj', value)).toBe(shared);
    await deletePrefix(redis, `${prefix}:f`);
  });

  it('keeps at most maxEntries entries: one hit since the last eviction keeps an entry in (CLOCK)', async () => {
    const { cache } = await instance({ nearCache: { maxEntries: 3 } });
    const read = (id: number) => cache.getOrLoadWithStatus(`k:${id}`, () => id);
    for (const id of [1, 2, 3, 4]) await warm(() => read(id));
    // all three were hit: the hand cleared them in turn and took the oldest, 1
    expect(cache.stats()).toMatchObject({ nearEvictions: 1, near: { entries: 3 } });
    expect((await read(2)).source).toBe('near'); // hit again since: gets a second chance
    await warm(() => read(5));
    expect((await read(2)).source).toBe('near');
    expect(cache.stats().nearEvictions).toBe(2);
    expect((await read(3)).source).toBe('redis'); // not hit since the hand passed
  });

  it('keeps at most maxBytes (encoded size), and no entry over an eighth of it', async () => {
    const { cache } = await instance({ nearCache: { maxBytes: 8000 } });
    const read = (id: number, size: number) =>
      cache.getOrLoadWithStatus(`b:${id}`, () => 'x'.repeat(size));
    for (let id = 0; id < 12; id++) await warm(() => read(id, 900));
    const { near } = cache.stats();
    expect(near!.bytes).toBeLessThanOrEqual(8000);
    expect(near!.entries).toBeLessThan(12);
    expect(cache.stats().nearEvictions).toBeGreaterThan(0);
    for (let i = 0; i < 4; i++) expect((await read(99, 1100)).source).not.toBe('near');
  });

  it('is skipped by a call that says nearCache: false, and used only by opt-in with byDefault: false', async () => {
    const { cache } = await instance({ nearCache: { byDefault: false } });
    for (let i = 0; i < 3; i++) await cache.getOrLoad('plain', () => 1);
    expect((await cache.getOrLoadWithStatus('plain', () => 1)).source).toBe('redis');
    await warm(() => cache.getOrLoadWithStatus('opted', () => 1, { nearCache: true }));
  });
});

function nearCacheOf(app: CacheApp): NearCache {
  return (app.cache as unknown as { near: NearCache }).near;
}

/** Resolves when the app's tracking connection has delivered an invalidation of `redisKey`. */
function invalidationsOf(app: CacheApp, redisKey: string): Promise<void> {
  const feed = app.store.changeFeed;
  const changed = feed.changed;
  return new Promise((resolve) => {
    (feed as { changed: typeof changed }).changed = (keys) => {
      changed(keys);
      if (keys?.includes(redisKey)) resolve();
    };
  });
}

async function until(condition: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(2);
  }
}
