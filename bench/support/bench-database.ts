import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import type { DatabaseConfig } from '../../apps/catalog/src/config/catalog-config';
import { buildDataSourceOptions } from '../../apps/catalog/src/database/data-source-options.factory';
import { CatalogSeeder } from '../../apps/catalog/src/seed/catalog.seeder';

/** Products and reviews of the bench's catalog (the catalog's own `npm run seed` defaults). */
export const BENCH_PRODUCTS = 100_000;
export const BENCH_REVIEWS = 1_000_000;

/** Gitignored (bench/.gitignore); kept between runs, so only the first run seeds. */
export const BENCH_DB_PATH = join(__dirname, '..', '.data', 'catalog-100k.sqlite');

/**
 * The PostgreSQL catalog: a database of the bench's own (created if missing, kept between
 * runs like the SQLite file), so nothing else on the server shares or drops its tables.
 */
export const BENCH_PG_URL =
  process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/nest_cache_aside_bench';

/** A seeded catalog: what the HTTP subjects connect to, and a name for the tables. */
export type BenchDatabase =
  | { kind: 'sqlite'; label: 'SQLite'; path: string }
  | { kind: 'postgres'; label: 'PostgreSQL'; url: string };

/** The catalog's own database settings for `database` (its config loader's variables). */
export function catalogDatabaseEnv(database: BenchDatabase): Record<string, string> {
  return database.kind === 'sqlite' ? { DB_PATH: database.path } : { DATABASE_URL: database.url };
}

/**
 * Makes sure the bench's SQLite catalog holds the demo dataset, with the catalog's own
 * migrations and seeder. The seeder is idempotent, so an interrupted seed resumes; a
 * complete file is recognised by its row counts and left alone.
 */
export async function ensureBenchDatabase(log: (line: string) => void): Promise<string> {
  const existed = existsSync(BENCH_DB_PATH);
  await ensureSeeded({ type: 'sqlite', path: BENCH_DB_PATH }, BENCH_DB_PATH, existed, log);
  return BENCH_DB_PATH;
}

/** The SQLite catalog as a BenchDatabase. */
export async function ensureBenchSqlite(log: (line: string) => void): Promise<BenchDatabase> {
  return { kind: 'sqlite', label: 'SQLite', path: await ensureBenchDatabase(log) };
}

/** The same for PostgreSQL: creates the bench's database on first use, then seeds it. */
export async function ensureBenchPostgres(log: (line: string) => void): Promise<BenchDatabase> {
  const created = await createDatabaseIfMissing(BENCH_PG_URL);
  if (created) log(`  created the PostgreSQL database ${new URL(BENCH_PG_URL).pathname.slice(1)}`);
  await ensureSeeded(
    { type: 'postgres', url: BENCH_PG_URL },
    redactPassword(BENCH_PG_URL),
    !created,
    log,
  );
  return { kind: 'postgres', label: 'PostgreSQL', url: BENCH_PG_URL };
}

async function ensureSeeded(
  config: DatabaseConfig,
  where: string,
  existed: boolean,
  log: (line: string) => void,
): Promise<void> {
  // No query logger: TypeORM's default stays silent, the catalog's logs migrations at verbose.
  const dataSource = new DataSource(buildDataSourceOptions(config));
  await dataSource.initialize();
  try {
    const count = async (table: string) =>
      Number((await dataSource.query<[{ n: number }]>(`SELECT COUNT(*) AS n FROM ${table}`))[0].n);
    const [products, reviews] = [await count('products'), await count('reviews')];
    if (products === BENCH_PRODUCTS && reviews === BENCH_REVIEWS) return;
    log(
      `  seeding ${BENCH_PRODUCTS.toLocaleString('en-US')} products and ` +
        `${BENCH_REVIEWS.toLocaleString('en-US')} reviews into ${where}` +
        (existed ? ` (it had ${products} and ${reviews})` : ''),
    );
    const result = await new CatalogSeeder(dataSource).seed({
      products: BENCH_PRODUCTS,
      reviews: BENCH_REVIEWS,
    });
    log(`  seeded in ${(result.elapsedMs / 1000).toFixed(1)} s`);
    const after = [await count('products'), await count('reviews')];
    if (after[0] !== BENCH_PRODUCTS || after[1] !== BENCH_REVIEWS) {
      throw new Error(
        `${where} holds ${after[0]} products and ${after[1]} reviews after seeding ` +
          `(expected ${BENCH_PRODUCTS} and ${BENCH_REVIEWS}): drop it and run again`,
      );
    }
  } finally {
    await dataSource.destroy();
  }
}

/** True when it created the database; connects to the server's `postgres` database to do so. */
async function createDatabaseIfMissing(url: string): Promise<boolean> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.slice(1));
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (found.rowCount) return false;
    await client.query(`CREATE DATABASE "${name.replaceAll('"', '""')}"`);
    return true;
  } finally {
    await client.end();
  }
}

function redactPassword(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
}
