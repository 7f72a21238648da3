import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { buildDataSourceOptions } from '../../apps/catalog/src/database/data-source-options.factory';
import { CatalogSeeder } from '../../apps/catalog/src/seed/catalog.seeder';

/** Products and reviews of the bench's catalog (the catalog's own `npm run seed` defaults). */
export const BENCH_PRODUCTS = 100_000;
export const BENCH_REVIEWS = 1_000_000;

/** Gitignored (bench/.gitignore); kept between runs, so only the first run seeds. */
export const BENCH_DB_PATH = join(__dirname, '..', '.data', 'catalog-100k.sqlite');

/**
 * Makes sure the bench's SQLite catalog holds the demo dataset, with the catalog's own
 * migrations and seeder. The seeder is idempotent, so an interrupted seed resumes; a
 * complete file is recognised by its row counts and left alone.
 */
export async function ensureBenchDatabase(log: (line: string) => void): Promise<string> {
  const dataSource = new DataSource(
    // No query logger: TypeORM's default stays silent, the catalog's logs migrations at verbose.
    buildDataSourceOptions({ type: 'sqlite', path: BENCH_DB_PATH }),
  );
  const existed = existsSync(BENCH_DB_PATH);
  await dataSource.initialize();
  try {
    const count = async (table: string) =>
      Number((await dataSource.query<[{ n: number }]>(`SELECT COUNT(*) AS n FROM ${table}`))[0].n);
    const [products, reviews] = [await count('products'), await count('reviews')];
    if (products === BENCH_PRODUCTS && reviews === BENCH_REVIEWS) return BENCH_DB_PATH;
    log(
      `  seeding ${BENCH_PRODUCTS.toLocaleString('en-US')} products and ` +
        `${BENCH_REVIEWS.toLocaleString('en-US')} reviews into ${BENCH_DB_PATH}` +
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
        `${BENCH_DB_PATH} holds ${after[0]} products and ${after[1]} reviews after seeding ` +
          `(expected ${BENCH_PRODUCTS} and ${BENCH_REVIEWS}): delete it and run again`,
      );
    }
    return BENCH_DB_PATH;
  } finally {
    await dataSource.destroy();
  }
}
