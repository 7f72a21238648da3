import { startCacheApp, type CacheApp } from './support/cache-app';
import { OwnRedis } from './support/own-redis';
import { uniquePrefix } from './support/redis';

jest.setTimeout(30_000);

/** Blocks the event loop, as a synchronous SQLite query or a large JSON.stringify does. */
function blockFor(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until);
}

describe('event-loop lag is not a Redis timeout', () => {
  const apps: CacheApp[] = [];
  const servers: OwnRedis[] = [];

  afterAll(async () => {
    await Promise.all(apps.map((app) => app.close()));
    await Promise.all(servers.map((server) => server.kill()));
  });

  it('a reply that arrived while the loop was blocked past the deadline counts as in time', async () => {
    const app = await startCacheApp({
      keyPrefix: uniquePrefix('lag'),
      commandTimeoutMs: 50,
      earlyRefresh: false,
    });
    apps.push(app);
    await app.cache.set('product:1', { id: 1 }, 60);
    app.cache.resetStats();
    for (let i = 0; i < 20; i++) {
      const read = app.cache.getOrLoadWithStatus('product:1', async () => ({ id: -1 }));
      await new Promise((resolve) => setImmediate(resolve)); // the GET is on the wire now
      blockFor(150); // its reply lands in the socket meanwhile; the deadline passes
      expect(await read).toEqual({ value: { id: 1 }, status: 'HIT', source: 'redis' });
    }
    expect(app.cache.stats().redisErrors).toBe(0);
  });

  it('a frozen Redis is still detected: the timeout plus the lag', async () => {
    const server = await OwnRedis.start();
    servers.push(server);
    const app = await startCacheApp({
      redis: server.url,
      keyPrefix: 'lag',
      commandTimeoutMs: 50,
      earlyRefresh: false,
    });
    apps.push(app);
    server.freeze();
    app.cache.resetStats();
    try {
      const started = performance.now();
      const read = app.cache.getOrLoadWithStatus('product:1', async () => 'from the loader');
      await new Promise((resolve) => setImmediate(resolve));
      blockFor(100);
      expect(await read).toEqual({ value: 'from the loader', status: 'BYPASS' });
      expect(performance.now() - started).toBeLessThan(100 + 50 * 1.25 + 100);
      expect(app.cache.stats().redisErrors).toBe(1);
    } finally {
      server.thaw();
    }
  });
});
