export type DatabaseConfig =
  | { type: 'sqlite'; path: string }
  // `schema` lets a test (or a shared server) keep its tables in a schema of its own.
  | { type: 'postgres'; url: string; schema?: string };

export interface DemoSeedConfig {
  products: number;
  reviews: number;
}

export interface CatalogConfig {
  port: number;
  database: DatabaseConfig;
  /** Read here so the cache layer has one place to take it from; unused until caching is wired. */
  redisUrl: string;
  cacheTtlSeconds: number;
  /** Dataset seeded at start-up when the products table is empty; null turns it off. */
  demoSeed: DemoSeedConfig | null;
}

export const CATALOG_CONFIG = Symbol('CATALOG_CONFIG');
