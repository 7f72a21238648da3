import type { Repository } from 'typeorm';
import type { ProductView } from './dto/product-view.dto';
import type { Product } from './product.entity';
import { toProductSummary, toRatingSummary } from './product-response.mapper';
import { Review } from './review.entity';

/**
 * The product with its rating summary, in one SQL statement: the honestly expensive
 * read the cache is there for. Null for an unknown id. Shared by the service, the demo
 * page's unprotected burst and the HTTP benchmark, so all of them load the same thing.
 */
export async function queryProductView(
  products: Repository<Product>,
  id: number,
): Promise<ProductView | null> {
  const { entities, raw } = await products
    .createQueryBuilder('product')
    .addSelect(
      (sub) => sub.select('COUNT(*)').from(Review, 'review').where('review.productId = product.id'),
      'rating_count',
    )
    .addSelect(
      (sub) =>
        sub
          .select('AVG(review.rating)')
          .from(Review, 'review')
          .where('review.productId = product.id'),
      'rating_average',
    )
    .where('product.id = :id', { id })
    .getRawAndEntities<{ rating_count: unknown; rating_average: unknown }>();
  const [product] = entities;
  if (!product) return null;
  return {
    ...toProductSummary(product),
    rating: toRatingSummary(raw[0]?.rating_count, raw[0]?.rating_average),
  };
}
