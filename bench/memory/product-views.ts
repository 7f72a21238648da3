import { DataSource } from 'typeorm';
import { buildDataSourceOptions } from '../../apps/catalog/src/database/data-source-options.factory';
import type { ProductView } from '../../apps/catalog/src/products/dto/product-view.dto';
import { Product } from '../../apps/catalog/src/products/product.entity';
import {
  toProductSummary,
  toRatingSummary,
} from '../../apps/catalog/src/products/product-response.mapper';
import { Review } from '../../apps/catalog/src/products/review.entity';

/** Product views of ids 1..count, in one grouped query (the bench's, not the catalog's). */
export async function loadViews(dbPath: string, count: number): Promise<Map<number, ProductView>> {
  const dataSource = new DataSource(buildDataSourceOptions({ type: 'sqlite', path: dbPath }));
  await dataSource.initialize();
  try {
    const rows: (Product & { rating_count: number; rating_average: number | null })[] =
      await dataSource
        .getRepository(Product)
        .createQueryBuilder('product')
        .leftJoin(Review, 'review', 'review.productId = product.id')
        .select('product')
        .addSelect('COUNT(review.id)', 'rating_count')
        .addSelect('AVG(review.rating)', 'rating_average')
        .where('product.id <= :count', { count })
        .groupBy('product.id')
        .getRawAndEntities()
        .then(({ entities, raw }) =>
          entities.map((entity, i) => ({
            ...entity,
            rating_count: raw[i].rating_count,
            rating_average: raw[i].rating_average,
          })),
        );
    return new Map(
      rows.map((row) => [
        row.id,
        {
          ...toProductSummary(row),
          rating: toRatingSummary(row.rating_count, row.rating_average),
        },
      ]),
    );
  } finally {
    await dataSource.destroy();
  }
}
