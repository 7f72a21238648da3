import type { NestExpressApplication } from '@nestjs/platform-express';
import request from 'supertest';
import type TestAgent from 'supertest/lib/agent';
import { CacheAsideService, cacheKey } from 'nest-cache-aside';
import { createCatalogApp } from '../src/catalog-app.factory';
import { QueryCounter } from '../src/database/query-counter';
import { sqliteTestDatabase } from './support/sqlite-test-database';
import { testCatalogConfig } from './support/test-catalog-config';
import {
  connectTestRedis,
  deleteKeysUnder,
  keysUnder,
  type TestRedis,
  waitForCache,
} from './support/test-redis';

jest.setTimeout(30_000);

/**
 * Two instances of the catalog on different ports, one database and one Redis: what a
 * load balancer in front of a fleet looks like. A write through one is visible through
 * the other at once, and a cold-key burst spread over both loads the row once.
 */
describe('two catalog instances behind one Redis', () => {
  const database = sqliteTestDatabase();
  const instances: Array<{ app: NestExpressApplication; http: TestAgent; queries: QueryCounter }> =
    [];
  let redis: TestRedis;
  let keyPrefix: string;

  beforeAll(async () => {
    const config = testCatalogConfig(await database.create());
    keyPrefix = config.cache.keyPrefix;
    redis = await connectTestRedis(config.cache.redisUrl);
    for (let i = 0; i < 2; i++) {
      // one after the other: the first migrates and seeds, the second finds it done
      const app = await createCatalogApp({ config, logger: ['error'] });
      await app.listen(0, '127.0.0.1');
      const http = request(app.getHttpServer());
      await waitForCache(http);
      instances.push({ app, http, queries: app.get(QueryCounter) });
    }
  });

  afterAll(async () => {
    await Promise.all(instances.map(({ app }) => app.close()));
    await deleteKeysUnder(redis, keyPrefix);
    expect(await keysUnder(redis, keyPrefix)).toEqual([]);
    redis.destroy();
    await database.drop();
  });

  it('listen on different ports', () => {
    const ports = instances.map(
      ({ app }) => (app.getHttpServer().address() as { port: number }).port,
    );
    expect(new Set(ports).size).toBe(2);
  });

  it('a read through one instance is a hit through the other', async () => {
    const [a, b] = instances;
    expect((await a.http.get('/products/1').expect(200)).headers['x-cache']).toBe('MISS');
    expect((await b.http.get('/products/1').expect(200)).headers['x-cache']).toBe('HIT');
  });

  it('a PATCH through one instance is seen through the other at once (patched in place: a HIT)', async () => {
    const [a, b] = instances;
    await b.http.get('/products/2').expect(200);
    await a.http.patch('/products/2').send({ priceCents: 4321 }).expect(200);
    const read = await b.http.get('/products/2').expect(200);
    expect(read.headers['x-cache']).toBe('HIT');
    expect(read.body.priceCents).toBe(4321);
  });

  it('a PUT through one instance is seen through the other at once (evicted: a MISS with the new data)', async () => {
    const [a, b] = instances;
    const before = (await a.http.get('/products/3').expect(200)).body;
    const {
      id: _id,
      rating: _rating,
      createdAt: _c,
      updatedAt: _u,
      version: _v,
      ...fields
    } = before;
    await b.http
      .put('/products/3')
      .send({ ...fields, name: 'Renamed through B' })
      .expect(200);
    const read = await a.http.get('/products/3').expect(200);
    expect(read.headers['x-cache']).toBe('MISS');
    expect(read.body.name).toBe('Renamed through B');
  });

  it('a cold-key burst spread over both instances reads the database once', async () => {
    const [a, b] = instances;
    await a.app.get(CacheAsideService).del(cacheKey('product', 4));
    const before = a.queries.total + b.queries.total;
    const responses = await Promise.all(
      Array.from({ length: 100 }, (_, i) => (i % 2 ? a : b).http.get('/products/4')),
    );
    expect(responses.every((r) => r.status === 200)).toBe(true);
    expect(new Set(responses.map((r) => JSON.stringify(r.body))).size).toBe(1);
    expect(a.queries.total + b.queries.total - before).toBe(1);
  });
});
