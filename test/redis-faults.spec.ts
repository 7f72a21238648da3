import { Injectable } from '@nestjs/common';
import { Cacheable } from 'nest-cache-aside';
import { sleep, startCacheApp, waitUntilConnected, type CacheApp } from './support/cache-app';
import { freePort, OwnRedis } from './support/own-redis';

jest.setTimeout(30_000);

@Injectable()
class PriceService {
  loads = 0;

  @Cacheable('price:{0}', 30)
  async price(id: number): Promise<number> {
    this.loads++;
    return id * 100;
  }
}

describe("Redis faults never break the business call (a redis-server of the test's own, killed and frozen)", () => {
  const apps: CacheApp[] = [];
  const servers: OwnRedis[] = [];

  afterAll(async () => {
    await Promise.all(apps.map((a) => a.close()));
    await Promise.all(servers.map((s) => s.kill()));
  });

  async function appOn(url: string, commandTimeoutMs = 100) {
    const app = await startCacheApp(
      { redis: url, keyPrefix: 'faults', commandTimeoutMs },
      { providers: [PriceService], waitForRedis: false },
    );
    apps.push(app);
    return app;
  }

  it('boots with Redis absent, serves from the loader, and starts caching when Redis appears, without a restart', async () => {
    const port = await freePort();
    const app = await appOn(`redis://127.0.0.1:${port}`);
    const prices = app.app.get(PriceService);
    const started = performance.now();
    expect(await prices.price(1)).toBe(100);
    expect(await prices.price(1)).toBe(100);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(prices.loads).toBe(2);
    expect(await app.cache.getOrLoadWithStatus('x', () => 1)).toEqual({
      value: 1,
      status: 'BYPASS',
    });

    const server = await OwnRedis.start(port);
    servers.push(server);
    await waitUntilConnected(app.cache);
    prices.loads = 0;
    await prices.price(1);
    await prices.price(1);
    expect(prices.loads).toBe(1);
  });

  it('a killed Redis turns reads into fast loader calls (BYPASS), and caching resumes after it restarts', async () => {
    const server = await OwnRedis.start();
    servers.push(server);
    const app = await appOn(server.url);
    await waitUntilConnected(app.cache);
    const prices = app.app.get(PriceService);
    await prices.price(2);
    await prices.price(2);
    expect(prices.loads).toBe(1);

    await server.kill();
    const started = performance.now();
    for (let i = 0; i < 20; i++) expect(await prices.price(2)).toBe(200);
    expect(performance.now() - started).toBeLessThan(2000);
    expect(prices.loads).toBe(21);
    expect((await app.cache.getOrLoadWithStatus('y', () => 'v')).status).toBe('BYPASS');
    expect(await app.cache.del('price:2')).toBe(false); // reported, not thrown

    await server.start();
    await waitUntilConnected(app.cache);
    prices.loads = 0;
    await prices.price(2);
    await prices.price(2);
    expect(prices.loads).toBe(1);
  });

  it('a frozen Redis (SIGSTOP) costs at most the command timeout per call, never a hang', async () => {
    const server = await OwnRedis.start();
    servers.push(server);
    const app = await appOn(server.url, 100);
    await waitUntilConnected(app.cache);
    await app.cache.getOrLoad('frozen:1', async () => 'cached');
    server.freeze();
    try {
      const started = performance.now();
      const result = await app.cache.getOrLoadWithStatus('frozen:1', async () => 'from loader');
      const elapsed = performance.now() - started;
      expect(result).toEqual({ value: 'from loader', status: 'BYPASS' });
      expect(elapsed).toBeGreaterThanOrEqual(90);
      expect(elapsed).toBeLessThan(1000);
      expect(app.cache.stats().redisErrors).toBeGreaterThan(0);
    } finally {
      server.thaw();
    }
    await sleep(50);
  });
});
