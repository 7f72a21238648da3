import { Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { createCatalogApp } from '../src/catalog-app.factory';
import type { DatabaseConfig } from '../src/config/catalog-config';
import { buildDataSourceOptions } from '../src/database/data-source-options.factory';
import { runSeed } from '../src/seed/seed.runner';
import { parseSeedArgs } from '../src/seed/seed-args.parser';
import { postgresTestDatabase } from './support/postgres-test-database';
import { sqliteTestDatabase } from './support/sqlite-test-database';
import { testCatalogConfig } from './support/test-catalog-config';
import type { TestDatabase } from './support/test-database';

// The seed runner logs through Nest's static logger; keep the test output to failures.
beforeAll(() => Logger.overrideLogger(['error']));

async function countRows(database: DatabaseConfig) {
  const dataSource = new DataSource({ ...buildDataSourceOptions(database), migrationsRun: false });
  await dataSource.initialize();
  try {
    const [row] = await dataSource.query(
      'SELECT (SELECT COUNT(*) FROM products) AS products, (SELECT COUNT(*) FROM reviews) AS reviews',
    );
    return { products: Number(row.products), reviews: Number(row.reviews) };
  } finally {
    await dataSource.destroy();
  }
}

function envFor(database: DatabaseConfig): NodeJS.ProcessEnv {
  return database.type === 'sqlite'
    ? { DB_PATH: database.path }
    : { DATABASE_URL: database.url, DATABASE_SCHEMA: database.schema };
}

describe.each([sqliteTestDatabase(), postgresTestDatabase()])(
  'seed command on $label',
  (db: TestDatabase) => {
    if (db.unavailableReason) {
      console.warn(`Skipping seed e2e on ${db.label}: ${db.unavailableReason}`);
      it.skip(`needs ${db.label}`, () => undefined);
      return;
    }
    let database: DatabaseConfig;
    const lines: string[] = [];
    const run = (argv: string[]) =>
      runSeed(argv, { env: envFor(database), print: (l) => lines.push(l) });

    beforeAll(async () => {
      database = await db.create();
    });
    afterAll(() => db.drop());

    it('fills an empty database with exactly the requested rows', async () => {
      const result = await run(['--products', '1500', '--reviews', '4001']);
      expect(result).toMatchObject({ productsInserted: 1500, reviewsInserted: 4001 });
      expect(await countRows(database)).toEqual({ products: 1500, reviews: 4001 });
      expect(lines.at(-1)).toMatch(/^Inserted 1500 products and 4001 reviews in \d+\.\d s$/);
    });

    it('is idempotent: a second run inserts nothing', async () => {
      const result = await run(['--products=1500', '--reviews=4001']);
      expect(result).toMatchObject({ productsInserted: 0, reviewsInserted: 0 });
      expect(await countRows(database)).toEqual({ products: 1500, reviews: 4001 });
    });

    it('tops up to a larger target', async () => {
      const result = await run(['--products', '2000', '--reviews', '6000']);
      expect(result).toMatchObject({ productsInserted: 500, reviewsInserted: 1999 });
      expect(await countRows(database)).toEqual({ products: 2000, reviews: 6000 });
    });
  },
);

describe('seed arguments', () => {
  it('defaults to 100k products and 1M reviews', () => {
    expect(parseSeedArgs([])).toEqual({ help: false, products: 100_000, reviews: 1_000_000 });
  });

  it('accepts k/m suffixes and rejects garbage', () => {
    expect(parseSeedArgs(['--products', '10k', '--reviews', '1m'])).toMatchObject({
      products: 10_000,
      reviews: 1_000_000,
    });
    expect(() => parseSeedArgs(['--products', '-5'])).toThrow('--products');
    expect(() => parseSeedArgs(['--bogus', '1'])).toThrow();
  });
});

describe('demo seed on first start (SQLite)', () => {
  const db = sqliteTestDatabase();
  afterAll(() => db.drop());

  it('seeds an empty embedded database once, and not again on restart', async () => {
    const database = await db.create();
    // No cache: these apps close right after init, while the cache would still be connecting
    // to Redis, and a connection still being opened at close is left open (a cache library
    // issue), which keeps Jest from exiting.
    const cache = { enabled: false };
    const config = testCatalogConfig(database, { demoSeed: { products: 30, reviews: 90 }, cache });

    const first = await createCatalogApp({ config, logger: false });
    await first.init();
    await first.close();
    expect(await countRows(database)).toEqual({ products: 30, reviews: 90 });

    const bigger = testCatalogConfig(database, { demoSeed: { products: 60, reviews: 90 }, cache });
    const second = await createCatalogApp({ config: bigger, logger: false });
    await second.init();
    await second.close();
    expect(await countRows(database)).toEqual({ products: 30, reviews: 90 });
  });
});
