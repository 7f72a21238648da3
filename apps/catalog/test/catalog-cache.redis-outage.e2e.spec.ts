import type { NestExpressApplication } from '@nestjs/platform-express';
import request from 'supertest';
import type TestAgent from 'supertest/lib/agent';
import { createCatalogApp } from '../src/catalog-app.factory';
import { OwnRedisServer, ownRedisUnavailableReason, sparePort } from './support/own-redis-server';
import { sqliteTestDatabase } from './support/sqlite-test-database';
import { testCatalogConfig } from './support/test-catalog-config';
import { waitForCache } from './support/test-redis';

// Killing Redis is only done to a redis-server this file starts itself; the database engine
// doesn't matter here, so SQLite only.
const unavailableReason = ownRedisUnavailableReason();
if (unavailableReason) console.warn(`Skipping the Redis outage e2e: ${unavailableReason}`);
const describeIfAvailable = unavailableReason ? describe.skip : describe;

describeIfAvailable('catalog through a Redis outage (a redis-server of its own)', () => {
  const database = sqliteTestDatabase();
  let server: OwnRedisServer;
  let app: NestExpressApplication;
  let http: TestAgent;

  beforeAll(async () => {
    server = new OwnRedisServer(await sparePort());
    await server.start();
    const config = testCatalogConfig(await database.create(), {
      cache: { redisUrl: server.url },
    });
    // The outage is expected: keep the cache's "Redis unavailable" warnings out of the output.
    app = await createCatalogApp({ config, logger: ['error'] });
    await app.init();
    http = request(app.getHttpServer());
    await waitForCache(http);
  }, 15_000);

  afterAll(async () => {
    await app?.close();
    // No key clean-up: the server keeps nothing on disk, so its keys die with it.
    await server?.kill();
    await database.drop();
  });

  const xCache = async (path: string) =>
    (await http.get(path).expect(200)).headers['x-cache'] as string | undefined;

  it('serves from the database while Redis is down and caches again once it is back, without a restart', async () => {
    expect(await xCache('/products/1')).toBe('MISS');
    expect(await xCache('/products/1')).toBe('HIT');
    const cachedBody = (await http.get('/products/1').expect(200)).body;

    await server.kill();

    // Quickly: the cache fails fast while disconnected (and bounds each command at 100 ms).
    const started = performance.now();
    const during = await http.get('/products/1').expect(200);
    expect(performance.now() - started).toBeLessThan(500);
    expect(during.headers['x-cache']).toBe('BYPASS');
    expect(during.body).toEqual(cachedBody);

    // Still ready (200), but the status says the cache is out.
    const health = await http.get('/health/ready').expect(200);
    expect(health.body).toMatchObject({
      status: 'degraded',
      info: { database: { status: 'up' }, redis: { status: 'degraded' } },
    });

    await server.start();

    // The cache reconnects by itself (its back-off is capped at 2 s); until then, BYPASS.
    const deadline = Date.now() + 5_000;
    let status = await xCache('/products/1');
    while (status === 'BYPASS' && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      status = await xCache('/products/1');
    }
    expect(status).toBe('MISS'); // the restarted server starts empty
    expect(await xCache('/products/1')).toBe('HIT');
    expect((await http.get('/health/ready').expect(200)).body).toMatchObject({
      status: 'ok',
      info: { redis: { status: 'up' } },
    });
  }, 15_000);
});
