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
      redisUrl: 'redis://127.0.0.1:6379',
      cacheTtlSeconds: 60,
      demoSeed: { products: 2_000, reviews: 20_000 },
    });
  });

  it('reads every variable', () => {
    const config = loadCatalogConfig({
      PORT: '8080',
      DATABASE_URL: 'postgres://u@db:5432/catalog',
      REDIS_URL: 'redis://cache:6379',
      CACHE_TTL_SECONDS: '30',
    });
    expect(config).toEqual({
      port: 8080,
      database: { type: 'postgres', url: 'postgres://u@db:5432/catalog', schema: undefined },
      redisUrl: 'redis://cache:6379',
      cacheTtlSeconds: 30,
      demoSeed: null,
    });
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
    ['DATABASE_URL', 'mysql://x'],
    ['DEMO_SEED', 'maybe'],
  ])('rejects %s=%s naming the variable', (name, value) => {
    expect(() => loadCatalogConfig({ [name]: value })).toThrow(name);
  });
});
