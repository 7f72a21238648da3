import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { CatalogConfig, DatabaseConfig, DemoSeedConfig } from './catalog-config';

export const DEFAULT_DEMO_SEED: DemoSeedConfig = { products: 2_000, reviews: 20_000 };

/**
 * Reads the catalog's settings from the environment. Invalid values fail start-up
 * with a message naming the variable rather than surfacing later as odd behaviour.
 */
export function loadCatalogConfig(env: NodeJS.ProcessEnv = process.env): CatalogConfig {
  const database = loadDatabaseConfig(env);
  return {
    port: readInteger(env, 'PORT', 3000, 0, 65_535),
    database,
    redisUrl: readString(env, 'REDIS_URL') ?? 'redis://127.0.0.1:6379',
    cacheTtlSeconds: readInteger(env, 'CACHE_TTL_SECONDS', 60, 1, 31_536_000),
    demoSeed: loadDemoSeed(env, database),
  };
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
  const flag = readString(env, 'DEMO_SEED');
  if (flag !== undefined && !['true', 'false', '1', '0'].includes(flag)) {
    throw new Error(`DEMO_SEED must be true or false, got "${flag}"`);
  }
  const enabled = flag === undefined ? database.type === 'sqlite' : flag === 'true' || flag === '1';
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
