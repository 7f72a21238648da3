import type { NestExpressApplication } from '@nestjs/platform-express';
import request from 'supertest';
import type TestAgent from 'supertest/lib/agent';
import { CacheAsideService } from 'nest-cache-aside';
import { createCatalogApp } from '../src/catalog-app.factory';
import { QueryCounter } from '../src/database/query-counter';
import { sqliteTestDatabase } from './support/sqlite-test-database';
import { testCatalogConfig } from './support/test-catalog-config';
import {
  connectTestRedis,
  deleteKeysUnder,
  type TestRedis,
  waitForCache,
} from './support/test-redis';

jest.setTimeout(30_000);

interface Instance {
  app: NestExpressApplication;
  http: TestAgent;
  queries: QueryCounter;
  cache: CacheAsideService;
}

/**
 * Two catalog instances with CACHE_NEAR: repeated reads are answered from each instance's
 * memory (no Redis round trip, no query), and a write through one instance reaches the
 * other's memory within Redis's delivery time.
 */
describe('two catalog instances with the near cache (CACHE_NEAR=true)', () => {
  const database = sqliteTestDatabase();
  const instances: Instance[] = [];
  let redis: TestRedis;
  let keyPrefix: string;

  beforeAll(async () => {
    const config = testCatalogConfig(await database.create(), { cache: { nearCache: true } });
    keyPrefix = config.cache.keyPrefix;
    redis = await connectTestRedis(config.cache.redisUrl);
    for (let i = 0; i < 2; i++) {
      const app = await createCatalogApp({ config, logger: ['error'] });
      await app.listen(0, '127.0.0.1');
      const http = request(app.getHttpServer());
      await waitForCache(http);
      const cache = app.get(CacheAsideService);
      await until(() => cache.stats().near?.tracking === true);
      instances.push({ app, http, queries: app.get(QueryCounter), cache });
    }
  });

  afterAll(async () => {
    await Promise.all(instances.map(({ app }) => app.close()));
    await deleteKeysUnder(redis, keyPrefix);
    redis.destroy();
    await database.drop();
  });

  /** Reads until the instance answers the product from memory; returns that response. */
  async function readFromMemory(instance: Instance, path: string) {
    for (let i = 0; i < 20; i++) {
      const before = instance.cache.stats().nearHits;
      const response = await instance.http.get(path).expect(200);
      if (instance.cache.stats().nearHits > before) return response;
    }
    throw new Error(`${path} never answered from the near cache`);
  }

  it('answers repeated reads from memory: X-Cache HIT, Cache-Status detail=near, no query', async () => {
    const [a] = instances;
    await readFromMemory(a, '/products/1');
    const queries = a.queries.total;
    const response = await readFromMemory(a, '/products/1');
    expect(response.headers['x-cache']).toBe('HIT');
    expect(response.headers['cache-status']).toBe('nest-cache-aside; hit; detail=near');
    expect(a.queries.total).toBe(queries);
  });

  it('a PATCH through one instance reaches the other instance’s memory, twice in a row', async () => {
    const [a, b] = instances;
    for (const priceCents of [4321, 1234]) {
      const before = (await readFromMemory(b, '/products/2')).body.priceCents;
      expect(before).not.toBe(priceCents);
      await a.http.patch('/products/2').send({ priceCents }).expect(200);
      // the writer reads its own write at once
      expect((await a.http.get('/products/2').expect(200)).body.priceCents).toBe(priceCents);
      // the other instance within Redis's delivery time (generous on a busy test machine)
      await until(
        async () => (await b.http.get('/products/2')).body.priceCents === priceCents,
        500,
      );
    }
  });
});

async function until(condition: () => boolean | Promise<boolean>, timeoutMs = 3000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}
