import type { CatalogConfig, DatabaseConfig } from '../../src/config/catalog-config';

/** 24 products (two per demo category) with two reviews each: enough to page over, fast to seed. */
export const TEST_DEMO_SEED = { products: 24, reviews: 48 };

export function testCatalogConfig(
  database: DatabaseConfig,
  overrides: Partial<CatalogConfig> = {},
): CatalogConfig {
  return {
    port: 0,
    database,
    redisUrl: 'redis://127.0.0.1:6379',
    cacheTtlSeconds: 60,
    demoSeed: TEST_DEMO_SEED,
    ...overrides,
  };
}
