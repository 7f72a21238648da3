import type { NestExpressApplication } from '@nestjs/platform-express';
import { CacheAsideService } from 'nest-cache-aside';
import request from 'supertest';
import type TestAgent from 'supertest/lib/agent';
import { createCatalogApp } from '../src/catalog-app.factory';
import { QueryCounter } from '../src/database/query-counter';
import { ProductsService } from '../src/products/products.service';
import { sqliteTestDatabase } from './support/sqlite-test-database';
import { testCatalogConfig } from './support/test-catalog-config';
import { connectTestRedis, deleteKeysUnder, waitForCache } from './support/test-redis';

/**
 * The demo's controls (the page at `/`, `/demo/*`, Swagger at `/docs`) against the real app
 * on a temp SQLite and real Redis: on by default, gone (404) when DEMO_ENABLED is off; the
 * two that change state take JSON only, so no cross-site form or simple request reaches them;
 * one stampede at a time. catalog-main.e2e.spec.ts checks the production default end to end.
 */
async function startApp(demoEnabled: boolean) {
  const database = sqliteTestDatabase();
  const config = testCatalogConfig(await database.create(), { demoEnabled });
  const redis = await connectTestRedis(config.cache.redisUrl);
  const app = await createCatalogApp({ config, logger: ['error', 'warn'] });
  await app.init();
  const http = request(app.getHttpServer());
  await waitForCache(http);
  return {
    app,
    http,
    async close() {
      await app.close();
      await deleteKeysUnder(redis, config.cache.keyPrefix);
      redis.destroy();
      await database.drop();
    },
  };
}

function expectError(body: unknown, statusCode: number, error: string, message?: RegExp) {
  expect(body).toEqual({
    statusCode,
    error,
    message: message ? expect.stringMatching(message) : expect.anything(),
  });
}

describe('demo surface, enabled', () => {
  let app: NestExpressApplication;
  let http: TestAgent;
  let close: () => Promise<void>;

  beforeAll(async () => {
    ({ app, http, close } = await startApp(true));
  }, 15_000);

  afterAll(() => close?.());

  afterEach(() => jest.restoreAllMocks());

  it('serves the page, its assets, /demo and /docs', async () => {
    await http.get('/').expect(200).expect('Content-Type', /html/);
    await http.get('/demo/assets/demo.js').expect(200);
    await http.get('/demo/stats').expect(200);
    await http.get('/docs').expect(200).expect('Content-Type', /html/);
    const { body: doc } = await http.get('/docs-json').expect(200);
    const responses = (path: string) => Object.keys(doc.paths[path].post.responses).sort();
    expect(responses('/demo/stats/reset')).toEqual(['204', '415']);
    expect(responses('/demo/stampede')).toEqual(['200', '400', '404', '415', '429']);
  });

  describe('POST /demo/stats/reset', () => {
    it.each([
      ['no Content-Type', undefined, undefined],
      ['a form', 'application/x-www-form-urlencoded', 'a=1'],
      ['text/plain', 'text/plain', '{}'],
      ['multipart', 'multipart/form-data; boundary=x', '--x--'],
      ['a JSON look-alike', 'application/jsonx', '{}'],
    ])('answers 415 to %s and keeps the counters', async (_case, type, body) => {
      await http.get('/products/1').expect(200);
      const before = app.get(CacheAsideService).stats();
      expect(before.hits + before.misses).toBeGreaterThan(0);

      let req = http.post('/demo/stats/reset');
      if (type) req = req.set('Content-Type', type);
      const res = await (body === undefined ? req : req.send(body)).expect(415);
      expectError(res.body, 415, 'Unsupported Media Type', /application\/json/);
      expect(app.get(CacheAsideService).stats()).toEqual(before);
    });

    it('resets on a JSON request, with or without a body', async () => {
      await http.get('/products/1').expect(200);
      await http.post('/demo/stats/reset').send({}).expect(204);
      expect(app.get(CacheAsideService).stats()).toMatchObject({ hits: 0, misses: 0 });

      await http.get('/products/1').expect(200);
      await http
        .post('/demo/stats/reset')
        .set('Content-Type', 'application/json; charset=utf-8')
        .expect(204);
      expect(app.get(CacheAsideService).stats()).toMatchObject({ hits: 0, misses: 0 });
    });
  });

  describe('POST /demo/stampede', () => {
    it.each([
      ['a form', 'application/x-www-form-urlencoded', 'id=1&n=5&protection=false'],
      ['text/plain', 'text/plain', '{"id":1,"n":5,"protection":false}'],
    ])('answers 415 to %s and loads nothing', async (_case, type, body) => {
      const queries = app.get(QueryCounter).total;
      const res = await http
        .post('/demo/stampede')
        .set('Content-Type', type)
        .send(body)
        .expect(415);
      expectError(res.body, 415, 'Unsupported Media Type', /application\/json/);
      expect(app.get(QueryCounter).total).toBe(queries);
    });

    it.each([
      ['n over the bound', { id: 1, n: 1001 }],
      ['n 0', { id: 1, n: 0 }],
      ['a null n', { id: 1, n: null }],
      ['n as a string', { id: 1, n: '5' }],
      ['a null protection', { id: 1, protection: null }],
      ['protection as a string', { id: 1, protection: 'false' }],
      ['a missing id', { n: 5 }],
    ])('answers 400 for %s', async (_case, body) => {
      const queries = app.get(QueryCounter).total;
      const res = await http.post('/demo/stampede').send(body).expect(400);
      expectError(res.body, 400, 'Bad Request');
      expect(app.get(QueryCounter).total).toBe(queries);
    });

    it('runs one stampede at a time: 429 while one runs, then free again', async () => {
      const products = app.get(ProductsService);
      const loadView = products.loadView.bind(products);
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      const held = jest.spyOn(products, 'loadView').mockImplementation(async (id) => {
        await gate;
        return loadView(id);
      });

      const first = http.post('/demo/stampede').send({ id: 2, n: 20, protection: false }).then();
      while (held.mock.calls.length === 0) await new Promise((r) => setTimeout(r, 5));

      const busy = await http.post('/demo/stampede').send({ id: 3, n: 5 }).expect(429);
      expectError(busy.body, 429, 'Too Many Requests', /already running/);

      release();
      const done = await first;
      expect(done.status).toBe(200);
      expect(done.body).toMatchObject({ id: 2, reads: 20, protection: false });

      held.mockRestore();
      const next = await http.post('/demo/stampede').send({ id: 3, n: 5 }).expect(200);
      expect(next.body).toMatchObject({ id: 3, reads: 5, databaseLoads: 1 });
    });

    it('is free again after a stampede that failed (unknown product)', async () => {
      await http.post('/demo/stampede').send({ id: 2147483647 }).expect(404);
      await http.post('/demo/stampede').send({ id: 4, n: 5 }).expect(200);
    });
  });
});

describe('demo surface, disabled (DEMO_ENABLED=false, the production default)', () => {
  let http: TestAgent;
  let close: () => Promise<void>;

  beforeAll(async () => {
    ({ http, close } = await startApp(false));
  }, 15_000);

  afterAll(() => close?.());

  it.each([
    ['GET', '/'],
    ['GET', '/demo/assets/demo.js'],
    ['GET', '/demo/stats'],
    ['GET', '/demo/products/1/ttl'],
    ['POST', '/demo/stats/reset'],
    ['POST', '/demo/stampede'],
    ['GET', '/docs'],
    ['GET', '/docs-json'],
  ])('%s %s is 404: no such route', async (method, path) => {
    const req = method === 'GET' ? http.get(path) : http.post(path).send({ id: 1, n: 5 });
    const res = await req.expect(404);
    expect(res.body).toMatchObject({ message: `Cannot ${method} ${path}` });
  });

  it('still serves the API, health and metrics', async () => {
    await http.get('/products/1').expect(200);
    await http.get('/products?category=books').expect(200);
    await http.get('/health').expect(200);
    await http.get('/metrics').expect(200);
  });
});
