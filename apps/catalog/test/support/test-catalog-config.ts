import { randomBytes } from 'node:crypto';
import type { CacheConfig, CatalogConfig, DatabaseConfig } from '../../src/config/catalog-config';

/** 24 products (two per demo category) with two reviews each: enough to page over, fast to seed. */
export const TEST_DEMO_SEED = { products: 24, reviews: 48 };

export const TEST_REDIS_URL = process.env.REDIS_URL || 'redis://127.0.0.1:6379';

export type TestCatalogConfigOverrides = Partial<Omit<CatalogConfig, 'cache'>> & {
  cache?: Partial<CacheConfig>;
};

/**
 * Every config gets a Redis key prefix no other app, test file or run shares, so suites can
 * run in parallel on one Redis and delete exactly their own keys afterwards.
 */
export function testCatalogConfig(
  database: DatabaseConfig,
  overrides: TestCatalogConfigOverrides = {},
): CatalogConfig {
  const { cache, ...rest } = overrides;
  return {
    port: 0,
    host: '127.0.0.1',
    database,
    cache: {
      enabled: true,
      redisUrl: TEST_REDIS_URL,
      keyPrefix: `test-catalog-${randomBytes(4).toString('hex')}`,
      ttlSeconds: 60,
      notFoundTtlSeconds: 10,
      pageTtlSeconds: 10,
      graceSeconds: 0,
      nearCache: false,
      ...cache,
    },
    demoSeed: TEST_DEMO_SEED,
    demoEnabled: true,
    ...rest,
  };
}
