export type DatabaseConfig =
  | { type: 'sqlite'; path: string }
  // `schema` lets a test (or a shared server) keep its tables in a schema of its own.
  | { type: 'postgres'; url: string; schema?: string };

export interface DemoSeedConfig {
  products: number;
  reviews: number;
}

/** The Redis cache-aside layer in front of the product reads (see catalog-config.loader). */
export interface CacheConfig {
  /** false sends every read to the database, as if the cache decorators weren't there. */
  enabled: boolean;
  redisUrl: string;
  /** Every key the cache writes starts with `<keyPrefix>:`, so apps can share a Redis. */
  keyPrefix: string;
  /** Time to live of a cached product. */
  ttlSeconds: number;
  /** Time to live of a cached "no such product", which absorbs floods of one unknown id. */
  notFoundTtlSeconds: number;
  /** Time to live of a cached category page (writes invalidate pages by category tag). */
  pageTtlSeconds: number;
  /** Seconds an entry is served stale past its TTL while one caller reloads it; 0: off. */
  graceSeconds: number;
  /** Each instance answers repeated reads from its own memory (the library's near cache). */
  nearCache: boolean;
}

export interface CatalogConfig {
  port: number;
  /** Address to listen on; null: every interface, as Node does when given none. */
  host: string | null;
  database: DatabaseConfig;
  cache: CacheConfig;
  /** Dataset seeded at start-up when the products table is empty; null turns it off. */
  demoSeed: DemoSeedConfig | null;
  /**
   * The demo surface: the page at `/`, its JSON endpoints under `/demo` and Swagger UI at
   * `/docs`. false leaves those routes unregistered (404); the API itself is unchanged.
   */
  demoEnabled: boolean;
}

export const CATALOG_CONFIG = Symbol('CATALOG_CONFIG');
