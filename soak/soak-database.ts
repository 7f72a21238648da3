import { DataSource } from 'typeorm';
import { buildDataSourceOptions } from '../apps/catalog/src/database/data-source-options.factory';
import { Product } from '../apps/catalog/src/products/product.entity';
import { toProductSummary } from '../apps/catalog/src/products/product-response.mapper';
import type { ProductSummary } from '../apps/catalog/src/products/dto/product-summary.dto';
import { CatalogSeeder } from '../apps/catalog/src/seed/catalog.seeder';

/** The demo's own size (what `npm start` seeds): small enough to seed in a second. */
export const SOAK_PRODUCTS = 2_000;
export const SOAK_REVIEWS = 20_000;

export interface SeededProduct {
  summary: ProductSummary;
  reviews: number;
}

/**
 * A fresh SQLite catalog for the soak, with the catalog's own migrations and seeder (WAL
 * mode, as the app opens it, so two app processes can share the file), and the state the
 * checker starts from: every product as the API shows it and its number of reviews.
 */
export async function seedSoakDatabase(path: string): Promise<SeededProduct[]> {
  const dataSource = new DataSource(buildDataSourceOptions({ type: 'sqlite', path }));
  await dataSource.initialize();
  try {
    await new CatalogSeeder(dataSource).seed({ products: SOAK_PRODUCTS, reviews: SOAK_REVIEWS });
    const products = await dataSource.getRepository(Product).find({ order: { id: 'ASC' } });
    const counts = await dataSource.query<Array<{ id: number; n: number }>>(
      'SELECT product_id AS id, COUNT(*) AS n FROM reviews GROUP BY product_id',
    );
    const reviews = new Map(counts.map(({ id, n }) => [Number(id), Number(n)]));
    return products.map((product) => ({
      summary: toProductSummary(product),
      reviews: reviews.get(product.id) ?? 0,
    }));
  } finally {
    await dataSource.destroy();
  }
}
