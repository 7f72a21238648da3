import type { ProductSummary } from './dto/product-summary.dto';
import type { RatingSummary } from './dto/rating-summary.dto';
import type { ReviewView } from './dto/review-view.dto';
import type { Product } from './product.entity';
import type { Review } from './review.entity';

export function toProductSummary(product: Product): ProductSummary {
  return {
    id: product.id,
    sku: product.sku,
    name: product.name,
    description: product.description,
    category: product.category,
    priceCents: product.priceCents,
    stock: product.stock,
    createdAt: toIsoString(product.createdAt),
    updatedAt: toIsoString(product.updatedAt),
    version: product.version,
  };
}

export function toReviewView(review: Review): ReviewView {
  return {
    id: review.id,
    productId: review.productId,
    rating: review.rating,
    body: review.body,
    createdAt: toIsoString(review.createdAt),
  };
}

/** Aggregates come back as numbers from SQLite and as strings (bigint/numeric) from PostgreSQL. */
export function toRatingSummary(count: unknown, average: unknown): RatingSummary {
  const n = Number(count ?? 0);
  return {
    count: n,
    average: n === 0 || average === null || average === undefined ? null : round2(Number(average)),
  };
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}

function toIsoString(value: Date | string): string {
  return (value instanceof Date ? value : new Date(value)).toISOString();
}
