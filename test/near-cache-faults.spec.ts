import type { CacheAsideModuleOptions } from 'nest-cache-aside';
import { sleep, startCacheApp, type CacheApp } from './support/cache-app';
import { OwnRedis } from './support/own-redis';
import { connectTestRedis, type TestRedis } from './support/redis';

jest.setTimeout(30_000);

/**
 * The near cache when its coherence is at risk, on a redis-server of the test's own:
 * the tracking connection killed, Redis flushed, killed and restarted, keys evicted
 * under maxmemory. Each time the near cache must drop what it can no longer vouch for.
 */
describe('near cache under faults (own Redis)', () => {
  let server: OwnRedis;
  let admin: TestRedis;
  const apps: CacheApp[] = [];

  beforeEach(async () => {
    server = await OwnRedis.start();
    admin = await connectTestRedis(server.url);
  });
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()));
    admin.destroy();
    await server.kill();
  });

  async function instance(options: CacheAsideModuleOptions = {}): Promise<CacheApp> {
    const app = await startCacheApp({
      redis: server.url,
      keyPrefix: 'faults',
      nearCache: true,
      earlyRefresh: false,
      ...options,
    });
    apps.push(app);
    await until(() => app.cache.stats().near?.tracking === true);
    return app;
  }

  async function warm(app: CacheApp, key: string, load: () => unknown): Promise<void> {
    for (let i = 0; i < 20; i++) {
      if ((await app.cache.getOrLoadWithStatus(key, load)).source === 'near') return;
      await sleep(i);
    }
    throw new Error(`${key} never answered from the near cache`);
  }

  /** Client ids of the tracking connections (named by the library). */
  async function trackingClients(): Promise<string[]> {
    const list = await admin.sendCommand<string>(['CLIENT', 'LIST']);
    return list
      .split('\n')
      .filter((line) => line.includes('name=nest-cache-aside:tracking'))
      .map((line) => /id=(\d+)/.exec(line)![1]);
  }

  it('a killed tracking connection flushes the near cache; a new one takes over, and a write meanwhile is not missed', async () => {
    const reader = await instance();
    const writer = await instance();
    let version = 1;
    await warm(reader, 'k', () => version);
    const trackers = await trackingClients();
    expect(trackers).toHaveLength(2);
    const flushesBefore = reader.cache.stats().nearFlushes;
    // both instances' tracking connections, and a write right away: nobody tells the reader
    for (const id of trackers) await admin.sendCommand(['CLIENT', 'KILL', 'ID', id]);
    version = 2;
    await writer.cache.del('k');
    await until(() => reader.cache.stats().nearFlushes > flushesBefore);
    expect(await reader.cache.getOrLoad('k', () => version)).toBe(2);
    await until(() => reader.cache.stats().near?.tracking === true);
    expect((await trackingClients()).filter((id) => !trackers.includes(id))).toHaveLength(2);
    await warm(reader, 'k', () => version);
    version = 3;
    await writer.cache.del('k');
    await until(() => reader.cache.stats().near?.entries === 0);
    expect(await reader.cache.getOrLoad('k', () => version)).toBe(3);
  });

  it('FLUSHALL empties every near cache', async () => {
    const app = await instance();
    await warm(app, 'a', () => 'a');
    await warm(app, 'b', () => 'b');
    await admin.flushAll();
    await until(() => app.cache.stats().near?.entries === 0);
    expect(await app.cache.getOrLoadWithStatus('a', () => 'reloaded')).toMatchObject({
      value: 'reloaded',
      status: 'MISS',
    });
  });

  it('Redis killed: nothing is served from memory while it is down; restarted: the near cache is used again', async () => {
    const app = await instance({ commandTimeoutMs: 100, breakerOpenMs: 200 });
    await warm(app, 'k', () => 'before');
    await server.kill();
    await until(() => app.cache.stats().near?.tracking === false);
    expect(app.cache.stats().near?.entries).toBe(0);
    expect(await app.cache.getOrLoadWithStatus('k', () => 'loader')).toMatchObject({
      value: 'loader',
      status: 'BYPASS',
    });
    await server.start();
    await until(() => app.cache.stats().near?.tracking === true, 10_000);
    await until(async () => (await app.cache.set('k', 'after', 60)) === true, 10_000);
    // a set that failed while Redis came back queued an eviction of 'k' (the old value might
    // have been there): once it is applied, write again, so the replay can't delete 'after'
    await until(() => app.cache.isTrusted(), 10_000);
    expect(await app.cache.set('k', 'after', 60)).toBe(true);
    await warm(app, 'k', () => 'unused');
    expect(await app.cache.getOrLoad('k', () => 'unused')).toBe('after');
  });

  it('Redis frozen: the tracking connection notices within a few seconds and the near cache stops serving', async () => {
    const app = await instance({ commandTimeoutMs: 100 });
    await warm(app, 'k', () => 'before');
    server.freeze();
    try {
      // silence isn't "nothing changed": the heartbeat declares the feed lost
      await until(() => app.cache.stats().near?.tracking === false, 5000);
      expect(app.cache.stats().near?.entries).toBe(0);
      expect((await app.cache.getOrLoadWithStatus('k', () => 'loader')).status).toBe('BYPASS');
    } finally {
      server.thaw();
    }
    await until(() => app.cache.stats().near?.tracking === true, 10_000);
  });

  it("Redis frozen: once one of this process's calls times out, nothing is served from memory, before the heartbeat notices", async () => {
    const reader = await instance({ commandTimeoutMs: 100 });
    const writer = await instance({ commandTimeoutMs: 100 });
    let version = 1;
    await warm(reader, 'k', () => version);
    server.freeze();
    try {
      version = 2;
      // the writer's eviction times out: it is queued, and no invalidation can reach the reader
      expect(await writer.cache.del('k')).toBe(false);
      // any call of the reader that reaches Redis times out too
      expect((await reader.cache.getOrLoadWithStatus('other', () => 0)).status).toBe('BYPASS');
      expect(reader.cache.stats().near?.tracking).toBe(true); // the heartbeat hasn't noticed yet
      expect(await reader.cache.getOrLoadWithStatus('k', () => version)).toMatchObject({
        value: 2,
        status: 'BYPASS',
      });
    } finally {
      server.thaw();
    }
    // back: the writer's queued eviction is applied, and the near cache is used again
    await until(() => writer.cache.isTrusted(), 10_000);
    await warm(reader, 'k', () => version);
    expect(await reader.cache.getOrLoad('k', () => 0)).toBe(2);
  });

  it('a key evicted under maxmemory leaves the near cache too', async () => {
    const app = await instance();
    await admin.configSet({ maxmemory: '4mb', 'maxmemory-policy': 'allkeys-lru' });
    await warm(app, 'victim', () => 'x'.repeat(1000));
    // Redis's LRU clock ticks once a second: written in the same second as the fillers, the
    // victim would be no colder than they are, and sampled eviction could keep it
    await sleep(1100);
    // served from memory, the entry is never read in Redis: the coldest key there
    const filler = 'y'.repeat(10_000);
    for (let i = 0; i < 1000 && (await admin.exists('faults:{victim}')) === 1; i++) {
      await admin.set(`filler:${i}`, filler);
    }
    expect(await admin.exists('faults:{victim}')).toBe(0);
    await until(() => app.cache.stats().near?.entries === 0);
    expect((await app.cache.getOrLoadWithStatus('victim', () => 'reloaded')).status).toBe('MISS');
  });
});

async function until(condition: () => boolean | Promise<boolean>, timeoutMs = 3000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(5);
  }
}
