import { inspect } from 'node:util';
import { join } from 'node:path';
import { loadCatalogConfig } from '../src/config/catalog-config.loader';

describe('loadCatalogConfig', () => {
  it('defaults to SQLite under data/ at the repository root, seeding on first start', () => {
    const config = loadCatalogConfig({});
    expect(config).toEqual({
      port: 3000,
      host: null,
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
        nearCache: false,
      },
      demoSeed: { products: 2_000, reviews: 20_000 },
      demoEnabled: true,
    });
  });

  it('reads every variable', () => {
    const config = loadCatalogConfig({
      PORT: '8080',
      HOST: '127.0.0.1',
      DATABASE_URL: 'postgres://u@db:5432/catalog',
      REDIS_URL: 'redis://cache:6379',
      CACHE_ENABLED: 'false',
      CACHE_KEY_PREFIX: 'shop.catalog-v2',
      CACHE_TTL_SECONDS: '30',
      CACHE_NOT_FOUND_TTL_SECONDS: '5',
      CACHE_PAGE_TTL_SECONDS: '3',
      CACHE_GRACE_SECONDS: '120',
      CACHE_NEAR: 'true',
      DEMO_ENABLED: 'false',
    });
    expect(config).toEqual({
      port: 8080,
      host: '127.0.0.1',
      database: { type: 'postgres', url: 'postgres://u@db:5432/catalog', schema: undefined },
      cache: {
        enabled: false,
        redisUrl: 'redis://cache:6379',
        keyPrefix: 'shop.catalog-v2',
        ttlSeconds: 30,
        notFoundTtlSeconds: 5,
        pageTtlSeconds: 3,
        graceSeconds: 120,
        nearCache: true,
      },
      demoSeed: null,
      demoEnabled: false,
    });
  });

  it('turns the demo surface off under NODE_ENV=production unless DEMO_ENABLED says on', () => {
    expect(loadCatalogConfig({ NODE_ENV: 'development' }).demoEnabled).toBe(true);
    expect(loadCatalogConfig({ NODE_ENV: 'test' }).demoEnabled).toBe(true);
    expect(loadCatalogConfig({ NODE_ENV: 'production' }).demoEnabled).toBe(false);
    expect(loadCatalogConfig({ NODE_ENV: 'production', DEMO_ENABLED: 'true' }).demoEnabled).toBe(
      true,
    );
    expect(loadCatalogConfig({ DEMO_ENABLED: '0' }).demoEnabled).toBe(false);
  });

  it.each(['0.0.0.0', '::', '::1', '10.1.2.3', 'localhost', 'catalog.internal'])(
    'accepts HOST=%s',
    (host) => {
      expect(loadCatalogConfig({ HOST: host }).host).toBe(host);
    },
  );

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
    ['CACHE_NEAR', 'maybe'],
    ['CACHE_ENABLED', 'yes'],
    ['CACHE_KEY_PREFIX', 'has{braces}'],
    ['CACHE_KEY_PREFIX', 'has spaces'],
    ['DATABASE_URL', 'mysql://x'],
    ['DEMO_SEED', 'maybe'],
    ['DEMO_ENABLED', 'yes'],
    ['HOST', 'http://127.0.0.1'],
    ['HOST', '[::1]'],
    ['HOST', '127.0.0.1:3000'],
    ['HOST', 'has space'],
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
