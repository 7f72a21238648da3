import { Logger } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import request from 'supertest';
import type TestAgent from 'supertest/lib/agent';
import { CacheAsideService } from 'nest-cache-aside';
import { createCatalogApp } from '../../src/catalog-app.factory';
import { QueryCounter } from '../../src/database/query-counter';
import { TEST_DEMO_SEED, testCatalogConfig } from './test-catalog-config';
import type { TestDatabase } from './test-database';
import { connectTestRedis, deleteKeysUnder, type TestRedis, waitForCache } from './test-redis';
import { cacheMetricLines } from './cache-metric-lines';

/**
 * The catalog API contract, run once per database engine against the real app built by
 * createCatalogApp (same pipes, docs, metrics and cache as production). The cache's own
 * guarantees are tested in catalog-cache.suite.ts.
 */
export function describeCatalogApi(database: TestDatabase): void {
  if (database.unavailableReason) {
    console.warn(`Skipping catalog API e2e on ${database.label}: ${database.unavailableReason}`);
  }
  const describeIfAvailable = database.unavailableReason ? describe.skip : describe;

  describeIfAvailable(`catalog API on ${database.label}`, () => {
    let app: NestExpressApplication;
    let http: TestAgent;
    let redis: TestRedis;
    let keyPrefix: string;
    let skuSeq = 0;

    beforeAll(async () => {
      const config = testCatalogConfig(await database.create());
      keyPrefix = config.cache.keyPrefix;
      redis = await connectTestRedis(config.cache.redisUrl);
      app = await createCatalogApp({ config, logger: ['error', 'warn'] });
      await app.init();
      http = request(app.getHttpServer());
      await waitForCache(http);
    }, 15_000);

    afterAll(async () => {
      await app?.close();
      if (redis) {
        await deleteKeysUnder(redis, keyPrefix);
        redis.destroy();
      }
      await database.drop();
    });

    const newProduct = (overrides: Record<string, unknown> = {}) => ({
      sku: `E2E-${++skuSeq}`,
      name: `Test product ${skuSeq}`,
      description: 'Made for the e2e suite',
      category: 'e2e',
      priceCents: 1234,
      stock: 5,
      ...overrides,
    });

    async function createProduct(overrides: Record<string, unknown> = {}) {
      const res = await http.post('/products').send(newProduct(overrides)).expect(201);
      return res.body as { id: number; sku: string; category: string };
    }

    function expectError(body: unknown, statusCode: number, error: string) {
      expect(body).toEqual(
        expect.objectContaining({ statusCode, error, message: expect.anything() }),
      );
    }

    describe('GET /products/:id', () => {
      it('returns a seeded product with its rating summary', async () => {
        const res = await http.get('/products/1').expect(200);
        expect(res.body).toEqual({
          id: 1,
          sku: 'DEMO-0000001',
          name: expect.any(String),
          description: expect.any(String),
          category: expect.any(String),
          priceCents: expect.any(Number),
          stock: expect.any(Number),
          createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
          updatedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
          version: 1,
          rating: {
            count: TEST_DEMO_SEED.reviews / TEST_DEMO_SEED.products,
            average: expect.any(Number),
          },
        });
      });

      it.each(['abc', '1.5', '-1', '0', '01', '1e3', '2147483648', '99999999999999999999'])(
        'answers 400 for malformed id %s',
        async (id) => {
          const res = await http.get(`/products/${id}`).expect(400);
          expectError(res.body, 400, 'Bad Request');
        },
      );

      it('answers 404 with a JSON body for an unknown id', async () => {
        const res = await http
          .get('/products/2147483647')
          .expect(404)
          .expect('Content-Type', /json/);
        expect(res.body).toEqual({
          statusCode: 404,
          error: 'Not Found',
          message: 'Product 2147483647 not found',
        });
      });

      it('costs one SQL statement on a cache miss and none on a hit (QueryCounter)', async () => {
        const counter = app.get(QueryCounter);
        const before = counter.total;
        expect((await http.get('/products/2').expect(200)).headers['x-cache']).toBe('MISS');
        expect(counter.total - before).toBe(1);
        expect((await http.get('/products/2').expect(200)).headers['x-cache']).toBe('HIT');
        expect(counter.total - before).toBe(1);
      });
    });

    describe('GET /products', () => {
      it('pages through a category in id order', async () => {
        const ids: number[] = [];
        for (let i = 0; i < 5; i++) ids.push((await createProduct({ category: 'paging' })).id);

        const first = await http.get('/products?category=paging&page=1&limit=2').expect(200);
        expect(first.body).toMatchObject({
          category: 'paging',
          page: 1,
          limit: 2,
          total: 5,
          totalPages: 3,
        });
        expect(first.body.items.map((p: { id: number }) => p.id)).toEqual(ids.slice(0, 2));
        expect(first.body.items[0]).not.toHaveProperty('rating');

        const last = await http.get('/products?category=paging&page=3&limit=2').expect(200);
        expect(last.body.items.map((p: { id: number }) => p.id)).toEqual(ids.slice(4));

        const beyond = await http.get('/products?category=paging&page=9&limit=2').expect(200);
        expect(beyond.body).toMatchObject({ items: [], total: 5 });
      });

      it('defaults to page 1 and limit 20', async () => {
        const res = await http.get('/products?category=books').expect(200);
        expect(res.body).toMatchObject({ page: 1, limit: 20, total: 2 });
        expect(res.body.items.every((p: { category: string }) => p.category === 'books')).toBe(
          true,
        );
      });

      it.each([
        ['missing category', 'page=1'],
        ['empty category', 'category='],
        ['limit over 100', 'category=books&limit=101'],
        ['limit 0', 'category=books&limit=0'],
        ['page 0', 'category=books&page=0'],
        ['fractional page', 'category=books&page=1.5'],
        ['non-numeric limit', 'category=books&limit=ten'],
        ['a whitespace-only category', 'category=%20%20'],
        ['a NUL byte in the category', 'category=books%00'],
        ['a limit outside the fixed set', 'category=books&limit=37'],
        ['unknown parameter', 'category=books&sort=name'],
      ])('answers 400 for %s', async (_case, query) => {
        const res = await http.get(`/products?${query}`).expect(400);
        expectError(res.body, 400, 'Bad Request');
      });

      it('accepts limit 100', async () => {
        await http.get('/products?category=books&limit=100').expect(200);
      });
    });

    describe('POST /products', () => {
      it('creates a product (201) that later reads return', async () => {
        const input = newProduct({ description: undefined });
        const created = await http.post('/products').send(input).expect(201);
        expect(created.body).toMatchObject({
          ...input,
          id: expect.any(Number),
          description: '',
          rating: { count: 0, average: null },
        });

        const read = await http.get(`/products/${created.body.id}`).expect(200);
        expect(read.body).toEqual(created.body);

        const page = await http.get('/products?category=e2e&limit=100').expect(200);
        expect(page.body.items.map((p: { id: number }) => p.id)).toContain(created.body.id);
      });

      it('answers 409 for a duplicate sku', async () => {
        const { sku } = await createProduct();
        const res = await http.post('/products').send(newProduct({ sku })).expect(409);
        expectError(res.body, 409, 'Conflict');
      });

      it.each([
        ['a missing name', { name: undefined }],
        ['a negative price', { priceCents: -1 }],
        ['a fractional price', { priceCents: 12.5 }],
        ['a price given as a string', { priceCents: '100' }],
        ['a price past the integer column', { priceCents: 2147483648 }],
        ['a null description', { description: null }],
        ['an unknown property', { colour: 'red' }],
        ['a malformed sku', { sku: 'has spaces' }],
        ['a whitespace-only name', { name: '   ' }],
        ['a NUL byte in the name', { name: 'lamp\u0000' }],
        ['a whitespace-only category', { category: ' \t\n' }],
        ['a NUL byte in the category', { category: 'home\u0000' }],
        ['a whitespace-only description', { description: '\u00a0 ' }],
        ['a NUL byte in the description', { description: 'warm\u0000light' }],
        ['another control character in the name', { name: 'lamp\u001b[31m' }],
      ])('answers 400 for %s', async (_case, overrides) => {
        const res = await http.post('/products').send(newProduct(overrides)).expect(400);
        expectError(res.body, 400, 'Bad Request');
      });

      it('says which rule a free-text field broke', async () => {
        const blank = await http
          .post('/products')
          .send(newProduct({ name: '  ' }))
          .expect(400);
        expect(blank.body.message).toEqual(['name must not be whitespace only']);
        const nul = await http
          .post('/products')
          .send(newProduct({ category: 'a\u0000b' }))
          .expect(400);
        expect(nul.body.message).toEqual([
          'category must not contain NUL or other control characters',
        ]);
      });

      it('accepts an empty description, and tabs and line breaks in it', async () => {
        await createProduct({ description: '' });
        await createProduct({ description: 'Line one\n\tLine two\r\n' });
      });
    });

    describe('PUT /products/:id', () => {
      it('replaces every field and reads return the new data', async () => {
        const { id } = await createProduct();
        const replacement = newProduct({ category: 'replaced', priceCents: 999, stock: 0 });
        const res = await http.put(`/products/${id}`).send(replacement).expect(200);
        expect(res.body).toMatchObject({ ...replacement, id });

        const read = await http.get(`/products/${id}`).expect(200);
        expect(read.body).toMatchObject({ ...replacement, id });
        const page = await http.get('/products?category=replaced').expect(200);
        expect(page.body.items.map((p: { id: number }) => p.id)).toEqual([id]);
      });

      it('answers 404 for an unknown id and 400 for a malformed one', async () => {
        expectError(
          (await http.put('/products/2147483647').send(newProduct()).expect(404)).body,
          404,
          'Not Found',
        );
        await http.put('/products/abc').send(newProduct()).expect(400);
      });

      it('answers 400 for an incomplete body and 409 for a taken sku', async () => {
        const { id } = await createProduct();
        const other = await createProduct();
        await http.put(`/products/${id}`).send({ name: 'only a name' }).expect(400);
        const res = await http
          .put(`/products/${id}`)
          .send(newProduct({ sku: other.sku }))
          .expect(409);
        expectError(res.body, 409, 'Conflict');
      });
    });

    describe('PATCH /products/:id', () => {
      it('changes price only, stock only, or both', async () => {
        const { id } = await createProduct({ priceCents: 1000, stock: 10 });

        await http.patch(`/products/${id}`).send({ priceCents: 1500 }).expect(200);
        expect((await http.get(`/products/${id}`)).body).toMatchObject({
          priceCents: 1500,
          stock: 10,
        });

        await http.patch(`/products/${id}`).send({ stock: 3 }).expect(200);
        expect((await http.get(`/products/${id}`)).body).toMatchObject({
          priceCents: 1500,
          stock: 3,
        });

        const res = await http
          .patch(`/products/${id}`)
          .send({ priceCents: 0, stock: 0 })
          .expect(200);
        expect(res.body).toMatchObject({ id, priceCents: 0, stock: 0 });
      });

      it.each([
        ['an empty body', {}],
        ['another field', { name: 'renamed' }],
        ['a null price', { priceCents: null }],
        ['a negative stock', { stock: -1 }],
      ])('answers 400 for %s', async (_case, body) => {
        const { id } = await createProduct();
        const res = await http.patch(`/products/${id}`).send(body).expect(400);
        expectError(res.body, 400, 'Bad Request');
      });

      it('answers 404 for an unknown id', async () => {
        const res = await http.patch('/products/2147483647').send({ stock: 1 }).expect(404);
        expectError(res.body, 404, 'Not Found');
      });
    });

    describe('DELETE /products/:id', () => {
      it('answers 204, then the product is gone', async () => {
        const { id } = await createProduct();
        await http
          .post(`/products/${id}/reviews`)
          .send({ rating: 5, body: 'gone soon' })
          .expect(201);

        const res = await http.delete(`/products/${id}`).expect(204);
        expect(res.text).toBe('');
        await http.get(`/products/${id}`).expect(404);
        expectError((await http.delete(`/products/${id}`).expect(404)).body, 404, 'Not Found');
      });

      it('answers 400 for a malformed id', async () => {
        await http.delete('/products/-1').expect(400);
      });
    });

    describe('POST /products/:id/reviews', () => {
      it('adds a review (201) and updates the rating summary', async () => {
        const { id } = await createProduct();
        const res = await http
          .post(`/products/${id}/reviews`)
          .send({ rating: 5, body: 'Great' })
          .expect(201);
        expect(res.body).toEqual({
          id: expect.any(Number),
          productId: id,
          rating: 5,
          body: 'Great',
          createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        });
        expect((await http.get(`/products/${id}`)).body.rating).toEqual({ count: 1, average: 5 });

        await http.post(`/products/${id}/reviews`).send({ rating: 2, body: '' }).expect(201);
        await http.post(`/products/${id}/reviews`).send({ rating: 4, body: 'ok' }).expect(201);
        expect((await http.get(`/products/${id}`)).body.rating).toEqual({
          count: 3,
          average: 3.67,
        });
      });

      it.each([
        ['rating 0', { rating: 0, body: 'x' }],
        ['rating 6', { rating: 6, body: 'x' }],
        ['a fractional rating', { rating: 4.5, body: 'x' }],
        ['a rating given as a string', { rating: '5', body: 'x' }],
        ['a missing body', { rating: 3 }],
        ['a body over 2000 characters', { rating: 3, body: 'x'.repeat(2001) }],
        ['an unknown property', { rating: 3, body: 'x', author: 'me' }],
        ['a whitespace-only body', { rating: 3, body: '   ' }],
        ['a NUL byte in the body', { rating: 3, body: 'ok\u0000' }],
      ])('answers 400 for %s', async (_case, body) => {
        const res = await http.post('/products/1/reviews').send(body).expect(400);
        expectError(res.body, 400, 'Bad Request');
      });

      it('accepts a body of exactly 2000 characters', async () => {
        await http
          .post('/products/1/reviews')
          .send({ rating: 3, body: 'x'.repeat(2000) })
          .expect(201);
      });

      it('answers 404 for an unknown product', async () => {
        const res = await http
          .post('/products/2147483647/reviews')
          .send({ rating: 3, body: 'x' })
          .expect(404);
        expect(res.body).toEqual({
          statusCode: 404,
          error: 'Not Found',
          message: 'Product 2147483647 not found',
        });
      });
    });

    describe('hostile bodies', () => {
      afterEach(() => jest.restoreAllMocks());

      const nested = (levels: number, inner = '1') =>
        '{"a":'.repeat(levels - 1) + inner + '}'.repeat(levels - 1);
      const deepArrays = (levels: number) => '['.repeat(levels) + ']'.repeat(levels);

      it.each([
        ['POST', '/products'],
        ['PUT', '/products/:id'],
        ['PATCH', '/products/:id'],
        ['POST', '/products/:id/reviews'],
      ])(
        'answers 400, logging nothing and changing nothing, to JSON 2,000 levels deep on %s %s',
        async (method, route) => {
          const product = await createProduct();
          const before = (await http.get(`/products/${product.id}`).expect(200)).body;
          const logged = jest.spyOn(Logger.prototype, 'error');
          const path = route.replace(':id', String(product.id));
          for (const body of [
            `{"name":${deepArrays(2000)},"rating":3}`, // 4 kB
            `{"stock":${nested(2000)}}`, // 10 kB of objects
          ]) {
            const res = await http[method.toLowerCase() as 'post' | 'put' | 'patch'](path)
              .set('Content-Type', 'application/json')
              .send(body)
              .expect(400);
            expect(res.body).toEqual({
              statusCode: 400,
              error: 'Bad Request',
              message: 'The request body nests deeper than 32 levels',
            });
          }
          expect(logged).not.toHaveBeenCalled();
          expect((await http.get(`/products/${product.id}`).expect(200)).body).toEqual(before);
        },
      );

      it('lets a body 32 levels deep through to validation, and stops one 33 deep', async () => {
        // The body object is level 1, so a field holds 31 more levels.
        const at = await http
          .post('/products/1/reviews')
          .set('Content-Type', 'application/json')
          .send(`{"rating":3,"body":${deepArrays(31)}}`)
          .expect(400);
        expect(at.body.message).toContain('body must be a string');
        const past = await http
          .post('/products/1/reviews')
          .set('Content-Type', 'application/json')
          .send(`{"rating":3,"body":${deepArrays(32)}}`)
          .expect(400);
        expect(past.body.message).toBe('The request body nests deeper than 32 levels');
      });

      it('does not send X-Powered-By', async () => {
        for (const path of ['/products/1', '/products/2147483647', '/no-such-route']) {
          expect((await http.get(path)).headers['x-powered-by']).toBeUndefined();
        }
      });
    });

    describe('operations endpoints', () => {
      it('GET /health, /health/ready and /health/live report up', async () => {
        for (const path of ['/health', '/health/ready']) {
          const res = await http.get(path).expect(200);
          expect(res.body).toMatchObject({
            status: 'ok',
            info: { database: { status: 'up' }, redis: { status: 'up' } },
          });
        }
        expect((await http.get('/health/live').expect(200)).body).toMatchObject({ status: 'ok' });
      });

      it('GET /metrics exposes request latency by route, the query counter and the cache', async () => {
        await http.get('/products/1').expect(200);
        const res = await http
          .get('/metrics')
          .expect(200)
          .expect('Content-Type', /text\/plain/);
        expect(res.text).toMatch(
          /http_request_duration_seconds_count\{method="GET",route="\/products\/:id",status_code="200"\} \d+/,
        );
        const selects = Number(
          /catalog_db_queries_total\{operation="select"\} (\d+)/.exec(res.text)?.[1],
        );
        expect(selects).toBe(app.get(QueryCounter).byOperation().select);
        expect(selects).toBeGreaterThan(0);

        const stats = app.get(CacheAsideService).stats();
        for (const line of cacheMetricLines(stats)) expect(res.text).toContain(line);
        expect(stats.hits).toBeGreaterThan(0);
      });

      it('GET /docs serves Swagger UI describing every route and its errors', async () => {
        await http.get('/docs').expect(200).expect('Content-Type', /html/);
        const { body: doc } = await http.get('/docs-json').expect(200);
        const responses = (path: string, method: string) =>
          Object.keys(doc.paths[path][method].responses).sort();
        expect(responses('/products/{id}', 'get')).toEqual(['200', '400', '404']);
        expect(responses('/products', 'get')).toEqual(['200', '400']);
        expect(responses('/products', 'post')).toEqual(['201', '400', '409']);
        expect(responses('/products/{id}', 'put')).toEqual(['200', '400', '404', '409']);
        expect(responses('/products/{id}', 'patch')).toEqual(['200', '400', '404']);
        expect(responses('/products/{id}', 'delete')).toEqual(['204', '400', '404']);
        expect(responses('/products/{id}/reviews', 'post')).toEqual(['201', '400', '404']);
        for (const path of ['/health', '/health/live', '/health/ready', '/metrics']) {
          expect(doc.paths[path].get).toBeDefined();
        }
        expect(doc.paths['/products/{id}'].get.parameters).toEqual([
          expect.objectContaining({ name: 'id', in: 'path', required: true }),
        ]);
        expect(doc.components.schemas.ProductView.properties.rating).toBeDefined();
      });
    });
  });
}
