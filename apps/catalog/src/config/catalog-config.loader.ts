import { redactRedisUrl } from 'nest-cache-aside';
import { existsSync } from 'node:fs';
import { isIP } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import type { CacheConfig, CatalogConfig, DatabaseConfig, DemoSeedConfig } from './catalog-config';

export const DEFAULT_DEMO_SEED: DemoSeedConfig = { products: 2_000, reviews: 20_000 };

// The cache library's own rule (braces would break the Redis Cluster hash tag); checked here
// too so a bad value fails start-up naming the variable, not the library's option.
const KEY_PREFIX_PATTERN = /^[A-Za-z0-9_.:-]{1,100}$/;

/**
 * Reads the catalog's settings from the environment. Invalid values fail start-up
 * with a message naming the variable rather than surfacing later as odd behaviour.
 */
export function loadCatalogConfig(env: NodeJS.ProcessEnv = process.env): CatalogConfig {
  const database = loadDatabaseConfig(env);
  return {
    port: readInteger(env, 'PORT', 3000, 0, 65_535),
    host: readHost(env),
    database,
    cache: loadCacheConfig(env),
    demoSeed: loadDemoSeed(env, database),
    demoEnabled: readDemoEnabled(env),
  };
}

// A DNS name: dot-separated labels of letters, digits and inner hyphens.
const HOSTNAME_PATTERN =
  /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/**
 * HOST: the address to listen on, an IP address (no brackets) or a host name. Unset: every
 * interface, what Node does with no address (`::`, which also takes IPv4 where the system
 * allows it, else 0.0.0.0): what a container needs, and what the app did before HOST existed.
 */
function readHost(env: NodeJS.ProcessEnv): string | null {
  const host = readString(env, 'HOST');
  if (host === undefined) return null;
  if (isIP(host) === 0 && !HOSTNAME_PATTERN.test(host)) {
    throw new Error(
      `HOST must be an IP address (no brackets, no port) or a host name, got "${host}"`,
    );
  }
  return host;
}

/**
 * DEMO_ENABLED: the demo page at `/`, `/demo/*` and `/docs`. On by default (`npm start`), off
 * under NODE_ENV=production: the stampede lets one request run a thousand database loads.
 */
function readDemoEnabled(env: NodeJS.ProcessEnv): boolean {
  return readBoolean(env, 'DEMO_ENABLED') ?? readString(env, 'NODE_ENV') !== 'production';
}

/**
 * The cache's variables (all optional):
 *
 * - REDIS_URL (redis://127.0.0.1:6379): the app boots and serves without it, reads then
 *   go to the database (X-Cache: BYPASS) until Redis answers again.
 * - CACHE_ENABLED (true): false turns the cache off, e.g. to measure the database alone.
 * - CACHE_KEY_PREFIX (catalog): letters, digits and _ . : - only.
 * - CACHE_TTL_SECONDS (60): how long a product stays cached. Writes evict or patch it, so
 *   this bounds staleness only for changes made behind the app's back, evictions Redis failed
 *   to take, or two PATCHes of one product racing (see ProductsService.patch).
 * - CACHE_NOT_FOUND_TTL_SECONDS (10): how long "no such product" stays cached. Creating
 *   the product evicts it; kept short because ids are guessable and each one costs a key.
 * - CACHE_PAGE_TTL_SECONDS (10): how long a category page stays cached. Writes invalidate
 *   the pages of the categories they touch, so, as for products, this only bounds changes
 *   made behind the app's back or invalidations Redis failed to take.
 * - CACHE_GRACE_SECONDS (0): how long an expired product or page may still be served while
 *   one caller reloads it, or while the database fails. Evicted entries are never served.
 * - CACHE_NEAR (false): true keeps products and pages each instance reads in its memory
 *   too (the library's near cache, kept coherent by Redis): X-Cache HIT with
 *   `Cache-Status: ...; detail=near`, no round trip. Other instances see a write within
 *   Redis's delivery time instead of at once.
 */
function loadCacheConfig(env: NodeJS.ProcessEnv): CacheConfig {
  const keyPrefix = readString(env, 'CACHE_KEY_PREFIX') ?? 'catalog';
  if (!KEY_PREFIX_PATTERN.test(keyPrefix)) {
    throw new Error(
      `CACHE_KEY_PREFIX must be 1 to 100 letters, digits or _ . : -, got "${keyPrefix}"`,
    );
  }
  return {
    enabled: readBoolean(env, 'CACHE_ENABLED') ?? true,
    redisUrl: readRedisUrl(env),
    keyPrefix,
    ttlSeconds: readInteger(env, 'CACHE_TTL_SECONDS', 60, 1, 31_536_000),
    notFoundTtlSeconds: readInteger(env, 'CACHE_NOT_FOUND_TTL_SECONDS', 10, 1, 31_536_000),
    pageTtlSeconds: readInteger(env, 'CACHE_PAGE_TTL_SECONDS', 10, 1, 31_536_000),
    graceSeconds: readInteger(env, 'CACHE_GRACE_SECONDS', 0, 0, 31_536_000),
    nearCache: readBoolean(env, 'CACHE_NEAR') ?? false,
  };
}

/** REDIS_URL, checked here so a typo stops start-up with a message that never shows its password. */
function readRedisUrl(env: NodeJS.ProcessEnv): string {
  const url = readString(env, 'REDIS_URL') ?? 'redis://127.0.0.1:6379';
  let protocol: string;
  try {
    protocol = new URL(url).protocol;
  } catch {
    throw new Error(`REDIS_URL is not a valid URL: ${redactRedisUrl(url)}`);
  }
  if (protocol !== 'redis:' && protocol !== 'rediss:') {
    throw new Error(`REDIS_URL must start with redis:// or rediss://, got ${redactRedisUrl(url)}`);
  }
  return url;
}

function loadDatabaseConfig(env: NodeJS.ProcessEnv): DatabaseConfig {
  const url = readString(env, 'DATABASE_URL');
  if (url) {
    if (!/^postgres(ql)?:\/\//.test(url)) {
      throw new Error('DATABASE_URL must be a postgres:// or postgresql:// URL');
    }
    return { type: 'postgres', url, schema: readString(env, 'DATABASE_SCHEMA') };
  }
  const path = readString(env, 'DB_PATH');
  return { type: 'sqlite', path: path ? resolve(path) : defaultSqlitePath() };
}

// Only the embedded database seeds itself by default: a PostgreSQL server is usually shared,
// so filling it is left to `npm run seed` unless DEMO_SEED=true asks for it.
function loadDemoSeed(env: NodeJS.ProcessEnv, database: DatabaseConfig): DemoSeedConfig | null {
  const enabled = readBoolean(env, 'DEMO_SEED') ?? database.type === 'sqlite';
  return enabled ? DEFAULT_DEMO_SEED : null;
}

/**
 * `data/catalog.sqlite` at the repository root, found from this file so that running the
 * built output from another directory still uses the same database.
 */
function defaultSqlitePath(): string {
  let dir = __dirname;
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) return resolve('data', 'catalog.sqlite');
    dir = parent;
  }
  return join(dir, 'data', 'catalog.sqlite');
}

function readString(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = env[name]?.trim();
  return value ? value : undefined;
}

function readBoolean(env: NodeJS.ProcessEnv, name: string): boolean | undefined {
  const flag = readString(env, name);
  if (flag === undefined) return undefined;
  if (!['true', 'false', '1', '0'].includes(flag)) {
    throw new Error(`${name} must be true or false, got "${flag}"`);
  }
  return flag === 'true' || flag === '1';
}

function readInteger(
  env: NodeJS.ProcessEnv,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const raw = readString(env, name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < min || value > max) {
    throw new Error(`${name} must be an integer between ${min} and ${max}, got "${raw}"`);
  }
  return value;
}
