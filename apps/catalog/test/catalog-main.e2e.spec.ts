import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { startCatalogProcess, type CatalogProcess } from './support/catalog-process';
import { TEST_REDIS_URL } from './support/test-catalog-config';
import { connectTestRedis, deleteKeysUnder } from './support/test-redis';

// Compiling main.ts and its imports on the fly takes a few seconds on a busy machine.
jest.setTimeout(60_000);

/**
 * main.ts as an operator runs it, in a process of its own reading only the environment:
 * NODE_ENV=production turns the demo surface off, HOST chooses the listen address.
 */
describe('the catalog process under NODE_ENV=production with HOST=127.0.0.1', () => {
  const keyPrefix = `test-catalog-main-${randomBytes(4).toString('hex')}`;
  const dir = mkdtempSync(join(tmpdir(), 'catalog-main-e2e-'));
  let catalog: CatalogProcess;
  let baseUrl: string;

  beforeAll(async () => {
    catalog = await startCatalogProcess({
      NODE_ENV: 'production',
      HOST: '127.0.0.1',
      PORT: '0',
      DB_PATH: join(dir, 'catalog.sqlite'),
      DEMO_SEED: 'false',
      REDIS_URL: TEST_REDIS_URL,
      CACHE_KEY_PREFIX: keyPrefix,
    });
    baseUrl = catalog.baseUrl;
  });

  afterAll(async () => {
    await catalog?.stop();
    rmSync(dir, { recursive: true, force: true });
    const redis = await connectTestRedis(TEST_REDIS_URL);
    await deleteKeysUnder(redis, keyPrefix);
    redis.destroy();
  });

  it('listens on the address HOST names, and says so', () => {
    expect(baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(catalog.output()).toMatch(/demo page and \/docs are off/);
  });

  it.each([
    ['GET', '/'],
    ['GET', '/docs'],
    ['GET', '/demo/stats'],
    ['POST', '/demo/stats/reset'],
    ['POST', '/demo/stampede'],
  ])('answers 404 to %s %s: no such route', async (method, path) => {
    const http = request(baseUrl);
    const req = method === 'GET' ? http.get(path) : http.post(path).send({ id: 1, n: 1000 });
    const res = await req.expect(404);
    // Nest's own "no route" answer, not a 404 from a handler (there is no product 1 here).
    expect(res.body).toMatchObject({ message: `Cannot ${method} ${path}` });
  });

  it('serves the API without an X-Powered-By header', async () => {
    const res = await request(baseUrl).get('/products/1').expect(404);
    expect(res.body).toMatchObject({ statusCode: 404, message: 'Product 1 not found' });
    expect(res.headers['x-powered-by']).toBeUndefined();
    await request(baseUrl).get('/health/live').expect(200);
  });
});
