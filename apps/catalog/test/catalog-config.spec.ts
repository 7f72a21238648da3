import { inspect } from 'node:util';
import { join } from 'node:path';
import { loadCatalogConfig } from '../src/config/catalog-config.loader';

describe('loadCatalogConfig', () => {
  it('defaults to SQLite under data/ at the repository root, seeding on first start', () => {
    const config = loadCatalogConfig({});
    expect(config).toEqual({
      port: 3000,
      database: {
        type: 'sqlite',
        path: join(__dirname, '..', '..', '..', 'data', 'catalog.sqlite'),
      },
      cache: {
        enabled: true,
        redisUrl: 'redis://127.0.0.1:6379',
        keyPrefix: 'catalog',
        ttlSeconds: 60,
        notFoundTtlSeconds: 10,
        pageTtlSeconds: 10,
        graceSeconds: 0,
      },
      demoSeed: { products: 2_000, reviews: 20_000 },
    });
  });

  it('reads every variable', () => {
    const config = loadCatalogConfig({
      PORT: '8080',
      DATABASE_URL: 'postgres://u@db:5432/catalog',
      REDIS_URL: 'redis://cache:6379',
      CACHE_ENABLED: 'false',
      CACHE_KEY_PREFIX: 'shop.catalog-v2',
      CACHE_TTL_SECONDS: '30',
      CACHE_NOT_FOUND_TTL_SECONDS: '5',
      CACHE_PAGE_TTL_SECONDS: '3',
      CACHE_GRACE_SECONDS: '120',
    });
    expect(config).toEqual({
      port: 8080,
      database: { type: 'postgres', url: 'postgres://u@db:5432/catalog', schema: undefined },
      cache: {
        enabled: false,
        redisUrl: 'redis://cache:6379',
        keyPrefix: 'shop.catalog-v2',
        ttlSeconds: 30,
        notFoundTtlSeconds: 5,
        pageTtlSeconds: 3,
        graceSeconds: 120,
      },
      demoSeed: null,
    });
  });

  it('accepts 1 and 0 for CACHE_ENABLED, and a grace of 0', () => {
    expect(loadCatalogConfig({ CACHE_ENABLED: '0' }).cache.enabled).toBe(false);
    expect(loadCatalogConfig({ CACHE_ENABLED: '1' }).cache.enabled).toBe(true);
    expect(loadCatalogConfig({ CACHE_GRACE_SECONDS: '0' }).cache.graceSeconds).toBe(0);
  });

  it('lets DB_PATH and DEMO_SEED override the defaults', () => {
    const config = loadCatalogConfig({ DB_PATH: '/tmp/x.sqlite', DEMO_SEED: 'false' });
    expect(config.database).toEqual({ type: 'sqlite', path: '/tmp/x.sqlite' });
    expect(config.demoSeed).toBeNull();
  });

  it.each([
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['CACHE_TTL_SECONDS', '0'],
    ['CACHE_TTL_SECONDS', '1.5'],
    ['CACHE_NOT_FOUND_TTL_SECONDS', '0'],
    ['CACHE_PAGE_TTL_SECONDS', '-1'],
    ['CACHE_GRACE_SECONDS', 'soon'],
    ['CACHE_ENABLED', 'yes'],
    ['CACHE_KEY_PREFIX', 'has{braces}'],
    ['CACHE_KEY_PREFIX', 'has spaces'],
    ['DATABASE_URL', 'mysql://x'],
    ['DEMO_SEED', 'maybe'],
  ])('rejects %s=%s naming the variable', (name, value) => {
    expect(() => loadCatalogConfig({ [name]: value })).toThrow(name);
  });

  it.each([
    ['a port out of range', 'redis://:s3cret-Pa55@127.0.0.1:99999'],
    ['a space in the host', 'redis://user:s3cret-Pa55@cache host:6379'],
    ['another scheme', 'http://user:s3cret-Pa55@127.0.0.1:6379'],
  ])('refuses a malformed REDIS_URL (%s) without showing its password', (_label, url) => {
    let thrown: unknown;
    try {
      loadCatalogConfig({ REDIS_URL: url });
    } catch (error) {
      thrown = error;
    }
    expect((thrown as Error).message).toMatch(/^REDIS_URL /);
    expect(inspect(thrown, { depth: 10 })).not.toContain('s3cret-Pa55');
  });
});
