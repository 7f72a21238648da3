import type { NestExpressApplication } from '@nestjs/platform-express';
import request from 'supertest';
import type TestAgent from 'supertest/lib/agent';
import { DataSource } from 'typeorm';
import { CacheAsideService } from 'nest-cache-aside';
import { createCatalogApp } from '../../src/catalog-app.factory';
import { QueryCounter } from '../../src/database/query-counter';
import { Product } from '../../src/products/product.entity';
import { testCatalogConfig } from './test-catalog-config';
import type { TestDatabase } from './test-database';
import {
  connectTestRedis,
  deleteKeysUnder,
  keysUnder,
  type TestRedis,
  waitForCache,
} from './test-redis';
import { cacheMetricLines } from './cache-metric-lines';

/** Start-up (migrations, seed, the cache's first connection) on a loaded CI machine. */
const START_TIMEOUT_MS = 15_000;

/**
 * What the cache promises the catalog's clients, per database engine, against the real app
 * and the real Redis at REDIS_URL (under a key prefix of this file's own): reads after a
 * write see it, unknown ids don't reach the database per request, a PATCH updates the
 * cached view in place, writes invalidate exactly their categories' pages, responses say
 * X-Cache.
 */
export function describeCatalogCache(database: TestDatabase): void {
  if (database.unavailableReason) {
    console.warn(`Skipping catalog cache e2e on ${database.label}: ${database.unavailableReason}`);
  }
  const describeIfAvailable = database.unavailableReason ? describe.skip : describe;

  describeIfAvailable(`catalog cache on ${database.label}`, () => {
    let app: NestExpressApplication;
    let http: TestAgent;
    let redis: TestRedis;
    let queries: QueryCounter;
    let keyPrefix: string;
    let pageTtlSeconds: number;
    let skuSeq = 0;
    let categorySeq = 0;

    beforeAll(async () => {
      const config = testCatalogConfig(await database.create());
      pageTtlSeconds = config.cache.pageTtlSeconds;
      keyPrefix = config.cache.keyPrefix;
      redis = await connectTestRedis(config.cache.redisUrl);
      app = await createCatalogApp({ config, logger: ['error', 'warn'] });
      // Listening (rather than letting supertest listen per request) lets requests run
      // concurrently against one server.
      await app.listen(0, '127.0.0.1');
      http = request(app.getHttpServer());
      queries = app.get(QueryCounter);
      await waitForCache(http);
    }, START_TIMEOUT_MS);

    afterAll(async () => {
      await app?.close();
      if (redis) {
        await deleteKeysUnder(redis, keyPrefix);
        expect(await keysUnder(redis, keyPrefix)).toEqual([]);
        redis.destroy();
      }
      await database.drop();
    });

    /** SQL statements the work sent, by the app's own QueryCounter. */
    async function statementsDuring(work: () => Promise<unknown>): Promise<number> {
      const before = queries.total;
      await work();
      return queries.total - before;
    }

    async function createProduct(overrides: Record<string, unknown> = {}) {
      const sku = `CACHE-${++skuSeq}`;
      const res = await http
        .post('/products')
        .send({
          sku,
          name: `Cached product ${skuSeq}`,
          category: 'cache-e2e',
          priceCents: 1000,
          stock: 10,
          ...overrides,
        })
        .expect(201);
      return res.body as { id: number; name: string; category: string };
    }

    /**
     * A category of its own per test, so its pages start uncached. The characters a key
     * encodes (':', '/', '*', braces, spaces) check that the tag a page joins through its
     * template is the one writes invalidate by name (cacheKey).
     */
    function newCategory(): string {
      return `tags ${++categorySeq}: a/b*{c}`;
    }

    function productKey(id: number): string {
      return `${keyPrefix}:{product:${id}}`;
    }

    async function readPage(category: string, page = 1, limit = 20) {
      const res = await http.get('/products').query({ category, page, limit }).expect(200);
      return {
        xCache: res.headers['x-cache'] as string | undefined,
        body: res.body as { total: number; items: Array<Record<string, unknown>> },
      };
    }

    /** MISS then HIT: the page is cached for sure before a write. */
    async function cachePage(category: string, page = 1, limit = 20) {
      expect((await readPage(category, page, limit)).xCache).toBe('MISS');
      expect((await readPage(category, page, limit)).xCache).toBe('HIT');
    }

    /** Reads twice so the product is cached for sure before a write: MISS then HIT. */
    async function readIntoCache(id: number) {
      expect((await http.get(`/products/${id}`).expect(200)).headers['x-cache']).toBe('MISS');
      const hit = await http.get(`/products/${id}`).expect(200);
      expect(hit.headers['x-cache']).toBe('HIT');
      return hit.body as Record<string, unknown>;
    }

    describe('GET /products/:id', () => {
      it('misses, then hits without a database statement, and says so in X-Cache', async () => {
        let miss: request.Response | undefined;
        let hit: request.Response | undefined;
        expect(await statementsDuring(async () => (miss = await http.get('/products/3')))).toBe(1);
        expect(await statementsDuring(async () => (hit = await http.get('/products/3')))).toBe(0);
        expect(miss?.status).toBe(200);
        expect(miss?.headers['x-cache']).toBe('MISS');
        expect(hit?.status).toBe(200);
        expect(hit?.headers['x-cache']).toBe('HIT');
        expect(hit?.body).toEqual(miss?.body);
      });

      it('says where the time went in Server-Timing: Redis (cache) and the database (db)', async () => {
        const timing = (res: request.Response) =>
          /^cache;desc="Redis";dur=(\d+\.\d\d), db;desc="Loader";dur=(\d+\.\d\d)$/
            .exec(String(res.headers['server-timing']))
            ?.slice(1)
            .map(Number);
        const miss = timing(await http.get('/products/6').expect(200));
        const hit = timing(await http.get('/products/6').expect(200));
        expect(miss).toEqual([expect.any(Number), expect.any(Number)]);
        expect(miss?.[1]).toBeGreaterThan(0);
        expect(hit).toEqual([expect.any(Number), 0]);
      });

      it('stores the view under <prefix>:{product:<id>} for CACHE_TTL_SECONDS', async () => {
        await http.get('/products/4').expect(200);
        const ttl = await redis.ttl(`${keyPrefix}:{product:4}`);
        expect(ttl).toBeGreaterThan(55);
        expect(ttl).toBeLessThanOrEqual(60);
      });

      it('sends a flood of one unknown id to the database once, then serves it from Redis', async () => {
        const flood = () =>
          Promise.all(Array.from({ length: 50 }, () => http.get('/products/2147480000')));
        let first: request.Response[] = [];
        let second: request.Response[] = [];
        const cache = app.get(CacheAsideService);
        const before = cache.stats();
        const statements = await statementsDuring(async () => {
          first = await flood();
          second = await flood();
        });
        const after = cache.stats();
        // The counts next to `statements` explain a failure: an extra statement with
        // bypasses means a Redis call took over the cache's 100 ms command timeout.
        const statuses = (responses: request.Response[]) =>
          responses.map((res) => String(res.headers['x-cache'])).join(',');
        expect({
          statements,
          bypasses: after.bypasses - before.bypasses,
          redisErrors: after.redisErrors - before.redisErrors,
          firstFlood: statuses(first),
        }).toMatchObject({ statements: 1 });
        for (const res of [...first, ...second]) {
          expect(res.status).toBe(404);
          expect(res.body).toEqual({
            statusCode: 404,
            error: 'Not Found',
            message: 'Product 2147480000 not found',
          });
        }
        expect(second.map((res) => res.headers['x-cache'])).toEqual(Array(50).fill('HIT'));
        // "Not found" is kept for CACHE_NOT_FOUND_TTL_SECONDS, not the product TTL.
        const ttl = await redis.ttl(`${keyPrefix}:{product:2147480000}`);
        expect(ttl).toBeGreaterThan(5);
        expect(ttl).toBeLessThanOrEqual(10);
      });
    });

    describe('a read right after a write sees it', () => {
      it('PUT', async () => {
        const { id } = await createProduct();
        await readIntoCache(id);
        const replacement = {
          sku: `CACHE-PUT-${id}`,
          name: 'Replaced',
          description: 'new text',
          category: 'cache-e2e-put',
          priceCents: 4321,
          stock: 1,
        };
        await http.put(`/products/${id}`).send(replacement).expect(200);
        const read = await http.get(`/products/${id}`).expect(200);
        expect(read.headers['x-cache']).toBe('MISS');
        expect(read.body).toMatchObject({ ...replacement, id });
      });

      it('PATCH', async () => {
        const { id } = await createProduct({ priceCents: 1000, stock: 10 });
        await readIntoCache(id);
        await http.patch(`/products/${id}`).send({ priceCents: 1500 }).expect(200);
        expect((await http.get(`/products/${id}`).expect(200)).body).toMatchObject({
          priceCents: 1500,
          stock: 10,
        });
        await http.patch(`/products/${id}`).send({ stock: 0 }).expect(200);
        expect((await http.get(`/products/${id}`).expect(200)).body).toMatchObject({
          priceCents: 1500,
          stock: 0,
        });
      });

      it('DELETE: the next read is a 404', async () => {
        const { id } = await createProduct();
        await readIntoCache(id);
        await http.delete(`/products/${id}`).expect(204);
        const read = await http.get(`/products/${id}`).expect(404);
        expect(read.headers['x-cache']).toBe('MISS');
      });

      it('POST a review: the rating summary counts it', async () => {
        const { id } = await createProduct();
        expect((await readIntoCache(id)).rating).toEqual({ count: 0, average: null });
        await http.post(`/products/${id}/reviews`).send({ rating: 4, body: 'good' }).expect(201);
        expect((await http.get(`/products/${id}`).expect(200)).body.rating).toEqual({
          count: 1,
          average: 4,
        });
      });

      it('POST a product: an earlier "not found" for its id is dropped', async () => {
        const previous = await createProduct();
        const nextId = previous.id + 1;
        // Ids are sequential: a client can ask for the next one before it exists.
        expect((await http.get(`/products/${nextId}`).expect(404)).headers['x-cache']).toBe('MISS');
        expect((await http.get(`/products/${nextId}`).expect(404)).headers['x-cache']).toBe('HIT');

        const created = await http
          .post('/products')
          .send({ sku: 'CACHE-NEXT', name: 'Next', category: 'cache-e2e', priceCents: 1, stock: 1 })
          .expect(201);
        expect(created.body.id).toBe(nextId);
        const read = await http.get(`/products/${nextId}`).expect(200);
        expect(read.headers['x-cache']).toBe('MISS');
        expect(read.body).toEqual(created.body);
      });

      it('a failed write evicts nothing', async () => {
        const { id } = await createProduct();
        await readIntoCache(id);
        await http.post(`/products/${id}/reviews`).send({ rating: 9, body: 'x' }).expect(400);
        await http.put('/products/2147480001').send({}).expect(400);
        expect((await http.get(`/products/${id}`).expect(200)).headers['x-cache']).toBe('HIT');
      });
    });

    describe('GET /products (category pages)', () => {
      it('caches each page, limit and category under its own key', async () => {
        const url = '/products?category=books&page=1&limit=1';
        const miss = await http.get(url).expect(200);
        expect(miss.headers['x-cache']).toBe('MISS');
        let hit: request.Response | undefined;
        expect(await statementsDuring(async () => (hit = await http.get(url).expect(200)))).toBe(0);
        expect(hit?.headers['x-cache']).toBe('HIT');
        expect(hit?.body).toEqual(miss.body);

        const other = await http.get('/products?category=books&page=2&limit=1').expect(200);
        expect(other.headers['x-cache']).toBe('MISS');
        expect(other.body.items).not.toEqual(miss.body.items);
        expect(await redis.exists(`${keyPrefix}:{products:books:page:1:1}`)).toBe(1);
        expect(await redis.exists(`${keyPrefix}:{products:books:page:2:1}`)).toBe(1);
      });

      it('joins its category tag and keeps CACHE_PAGE_TTL_SECONDS (from a cache profile)', async () => {
        await http.get('/products?category=books&page=3&limit=1').expect(200);
        const ttl = await redis.ttl(`${keyPrefix}:{products:books:page:3:1}`);
        expect(ttl).toBeGreaterThan(pageTtlSeconds - 5);
        expect(ttl).toBeLessThanOrEqual(pageTtlSeconds);
        // the entry names its tag; the tag's version outlives the entry
        const entry = await redis.get(`${keyPrefix}:{products:books:page:3:1}`);
        expect(entry?.split('|')[5]).toContain('category:books');
        expect(await redis.pTTL(`${keyPrefix}:tag-version:{category:books}`)).toBeGreaterThan(
          ttl * 1000,
        );
      });
    });

    describe('category pages are invalidated by tag, on writes to their category only', () => {
      it("POST: every page of the new product's category, not another category's", async () => {
        const [category, other] = [newCategory(), newCategory()];
        await createProduct({ category });
        await cachePage(category, 1, 1);
        await cachePage(category, 2, 1);
        await cachePage(other);

        const { id } = await createProduct({ category });

        const first = await readPage(category, 1, 1);
        expect(first.xCache).toBe('MISS');
        expect(first.body.total).toBe(2);
        const second = await readPage(category, 2, 1);
        expect(second.xCache).toBe('MISS');
        expect(second.body.items.map((p) => p.id)).toEqual([id]);
        expect((await readPage(other)).xCache).toBe('HIT');
      });

      it('PUT: its category; on a category change, both the old and the new one', async () => {
        const [from, to, bystander] = [newCategory(), newCategory(), newCategory()];
        const { id } = await createProduct({ category: from });
        await createProduct({ category: bystander });
        await Promise.all([cachePage(from), cachePage(to), cachePage(bystander)]);
        const replacement = {
          sku: `CACHE-TAGS-${id}`,
          name: 'Renamed',
          category: from,
          priceCents: 1,
          stock: 1,
        };

        await http.put(`/products/${id}`).send(replacement).expect(200);
        const renamed = await readPage(from);
        expect(renamed.xCache).toBe('MISS');
        expect(renamed.body.items).toEqual([expect.objectContaining({ id, name: 'Renamed' })]);
        expect((await readPage(to)).xCache).toBe('HIT');

        await http
          .put(`/products/${id}`)
          .send({ ...replacement, category: to })
          .expect(200);
        const left = await readPage(from);
        expect(left.xCache).toBe('MISS');
        expect(left.body.total).toBe(0);
        const joined = await readPage(to);
        expect(joined.xCache).toBe('MISS');
        expect(joined.body.items.map((p) => p.id)).toEqual([id]);
        expect((await readPage(bystander)).xCache).toBe('HIT');
      });

      it('PATCH: its category, whose pages list price and stock', async () => {
        const [category, other] = [newCategory(), newCategory()];
        const { id } = await createProduct({ category, priceCents: 1000 });
        await createProduct({ category: other });
        await Promise.all([cachePage(category), cachePage(other)]);

        await http.patch(`/products/${id}`).send({ priceCents: 1999 }).expect(200);

        const page = await readPage(category);
        expect(page.xCache).toBe('MISS');
        expect(page.body.items).toEqual([expect.objectContaining({ id, priceCents: 1999 })]);
        expect((await readPage(other)).xCache).toBe('HIT');
      });

      it('DELETE: the category the row had', async () => {
        const [category, other] = [newCategory(), newCategory()];
        const { id } = await createProduct({ category });
        await createProduct({ category: other });
        await Promise.all([cachePage(category), cachePage(other)]);

        await http.delete(`/products/${id}`).expect(204);

        const page = await readPage(category);
        expect(page.xCache).toBe('MISS');
        expect(page.body.total).toBe(0);
        expect((await readPage(other)).xCache).toBe('HIT');
      });

      it('a review leaves pages cached: they carry no rating', async () => {
        const category = newCategory();
        const { id } = await createProduct({ category });
        await cachePage(category);
        await http.post(`/products/${id}/reviews`).send({ rating: 3, body: 'ok' }).expect(201);
        expect((await readPage(category)).xCache).toBe('HIT');
      });
    });

    describe('PATCH updates the cached view in place', () => {
      it("the next GET is a HIT with the new values; no statement but the PATCH's own", async () => {
        const { id } = await createProduct({ priceCents: 1000, stock: 10 });
        await http.post(`/products/${id}/reviews`).send({ rating: 5, body: 'great' }).expect(201);
        const cached = await readIntoCache(id);
        expect(await redis.type(productKey(id))).toBe('hash');
        const fieldsBefore = await redis.hGetAll(productKey(id));
        const cache = app.get(CacheAsideService);
        const loadsBefore = cache.stats().loads;

        let patched: request.Response | undefined;
        let read: request.Response | undefined;
        const patchStatements = await statementsDuring(
          async () => (patched = await http.patch(`/products/${id}`).send({ priceCents: 1500 })),
        );
        // UPDATE, then the read-back of the view for the response; pages cost none (a tag).
        expect(patchStatements).toBe(2);
        expect(patched?.status).toBe(200);
        expect(await statementsDuring(async () => (read = await http.get(`/products/${id}`)))).toBe(
          0,
        );

        expect(read?.headers['x-cache']).toBe('HIT');
        expect(read?.body).toEqual(patched?.body);
        expect(read?.body).toEqual({
          ...cached,
          priceCents: 1500,
          updatedAt: patched?.body.updatedAt,
          version: (cached.version as number) + 1,
        });
        expect(read?.body.rating).toEqual({ count: 1, average: 5 });
        expect(cache.stats().loads).toBe(loadsBefore);
        // Only the changed fields were written (updated_at has 1 s resolution on SQLite,
        // so it may not have changed).
        const fieldsAfter = await redis.hGetAll(productKey(id));
        expect(Object.keys(fieldsAfter).sort()).toEqual(Object.keys(fieldsBefore).sort());
        const changed = Object.keys(fieldsAfter).filter((f) => fieldsAfter[f] !== fieldsBefore[f]);
        expect(changed).toContain('.priceCents');
        expect(changed).toContain('.version');
        expect(
          changed.filter((f) => !['.priceCents', '.updatedAt', '.version'].includes(f)),
        ).toEqual([]);

        await http.patch(`/products/${id}`).send({ stock: 0 }).expect(200);
        const again = await http.get(`/products/${id}`).expect(200);
        expect(again.headers['x-cache']).toBe('HIT');
        expect(again.body).toMatchObject({ priceCents: 1500, stock: 0, rating: cached.rating });
      });

      it("keeps the entry's TTL and freshness", async () => {
        const { id } = await createProduct();
        await readIntoCache(id);
        // A TTL the fill didn't set: a patch that rewrote the entry would reset it to 60 s.
        await redis.pExpire(productKey(id), 30_000);
        const header = await redis.hGet(productKey(id), '_m');

        await http.patch(`/products/${id}`).send({ stock: 1 }).expect(200);

        const ttl = await redis.pTTL(productKey(id));
        expect(ttl).toBeGreaterThan(25_000);
        expect(ttl).toBeLessThanOrEqual(30_000);
        expect(await redis.hGet(productKey(id), '_m')).toBe(header);
      });

      it('creates no entry for a product that is not cached', async () => {
        const { id } = await createProduct();
        await http.patch(`/products/${id}`).send({ stock: 2 }).expect(200);
        expect(await redis.exists(productKey(id))).toBe(0);
        const read = await http.get(`/products/${id}`).expect(200);
        expect(read.headers['x-cache']).toBe('MISS');
        expect(read.body.stock).toBe(2);
      });

      it('drops a cached "not found" rather than patching half a product into it', async () => {
        const previous = await createProduct();
        const id = previous.id + 1;
        await http.get(`/products/${id}`).expect(404);
        expect((await http.get(`/products/${id}`).expect(404)).headers['x-cache']).toBe('HIT');
        // A row written behind the app's back (another service, a script), so no eviction.
        const inserted = await app
          .get(DataSource)
          .getRepository(Product)
          .insert({
            sku: `CACHE-BEHIND-${id}`,
            name: 'Behind',
            category: 'cache-e2e',
            priceCents: 1,
            stock: 1,
          });
        expect(inserted.identifiers[0].id).toBe(id);

        const patched = await http.patch(`/products/${id}`).send({ priceCents: 7, stock: 7 });
        expect(patched.status).toBe(200);
        expect(await redis.exists(productKey(id))).toBe(0);
        const read = await http.get(`/products/${id}`).expect(200);
        expect(read.headers['x-cache']).toBe('MISS');
        expect(read.body).toEqual(patched.body);
      });
    });

    describe('error responses', () => {
      it.each([
        ['/products/abc', 'id must be an integer between 1 and 2147483647'],
        ['/products?category=books&limit=101', ['limit must be one of 1, 2, 5, 10, 20, 50, 100']],
        ['/products?category=books&sort=name', ['property sort should not exist']],
      ])('GET %s: the same 400 body as without the cache, no X-Cache', async (url, message) => {
        const res = await http.get(url).expect(400);
        expect(res.body).toEqual({ statusCode: 400, error: 'Bad Request', message });
        expect(res.headers['x-cache']).toBeUndefined();
      });

      it('writes: the same 400 bodies as without the cache', async () => {
        const patch = await http.patch('/products/1').send({}).expect(400);
        expect(patch.body).toEqual({
          statusCode: 400,
          error: 'Bad Request',
          message: ['body must contain priceCents and/or stock'],
        });
        const review = await http.post('/products/1/reviews').send({ rating: 9, body: 'x' });
        expect(review.status).toBe(400);
        expect(review.body).toEqual({
          statusCode: 400,
          error: 'Bad Request',
          message: ['rating must not be greater than 5'],
        });
      });
    });

    describe('operations', () => {
      it('GET /metrics counts cache events next to database statements', async () => {
        await http.get('/products/5').expect(200);
        await http.get('/products/5').expect(200);
        const res = await http.get('/metrics').expect(200);
        const stats = app.get(CacheAsideService).stats();
        expect(stats.hits).toBeGreaterThan(0);
        expect(stats.misses).toBeGreaterThan(0);
        for (const line of cacheMetricLines(stats)) expect(res.text).toContain(line);
        expect(res.text).toMatch(/catalog_db_queries_total\{operation="select"\} \d+/);
      });

      it('GET /health/ready reports Redis up', async () => {
        const res = await http.get('/health/ready').expect(200);
        expect(res.body).toMatchObject({
          status: 'ok',
          info: { database: { status: 'up' }, redis: { status: 'up' } },
        });
      });

      it('writes no key without a TTL', async () => {
        const keys = await keysUnder(redis, keyPrefix);
        expect(keys.length).toBeGreaterThan(0);
        for (const key of keys) expect(await redis.pTTL(key)).toBeGreaterThan(0);
      });
    });
  });
}
