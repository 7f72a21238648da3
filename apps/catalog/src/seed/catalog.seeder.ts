import type { DataSource, EntityManager } from 'typeorm';
import {
  MAX_DEMO_PRODUCTS,
  demoProduct,
  demoReview,
  demoReviewCount,
  demoSku,
} from './demo-catalog.generator';

export interface SeedTarget {
  products: number;
  reviews: number;
}

export interface SeedProgress {
  /** Rows (products + reviews) now present out of `total`, existing ones included. */
  done: number;
  total: number;
}

export interface SeedResult {
  productsInserted: number;
  reviewsInserted: number;
  elapsedMs: number;
}

// Products per transaction: big enough to amortise commits, small enough that an
// interrupted run loses little and progress moves visibly.
const PRODUCTS_PER_CHUNK = 1_000;
// Rows per INSERT: 8 parameters x 1,000 and 4 x 2,000 stay well under SQLite's 32,766
// and PostgreSQL's 65,535 bound-parameter limits.
const PRODUCT_ROWS_PER_STATEMENT = 1_000;
const REVIEW_ROWS_PER_STATEMENT = 2_000;

/**
 * Fills the catalog with the deterministic demo dataset using multi-row INSERTs, one
 * transaction per chunk of products. Idempotent: products are keyed by SKU
 * (ON CONFLICT DO NOTHING) and each demo product is only topped up to its share of reviews,
 * so re-running, or resuming after a crash, adds only what is missing.
 */
export class CatalogSeeder {
  constructor(private readonly dataSource: DataSource) {}

  async seed(
    target: SeedTarget,
    onProgress?: (progress: SeedProgress) => void,
  ): Promise<SeedResult> {
    assertTarget(target);
    const started = performance.now();
    const total = target.products + target.reviews;
    const result = { productsInserted: 0, reviewsInserted: 0 };
    let done = 0;

    for (let first = 1; first <= target.products; first += PRODUCTS_PER_CHUNK) {
      const last = Math.min(first + PRODUCTS_PER_CHUNK - 1, target.products);
      const chunk = await this.dataSource.transaction((manager) =>
        this.seedChunk(manager, first, last, target),
      );
      result.productsInserted += chunk.productsInserted;
      result.reviewsInserted += chunk.reviewsInserted;
      done += chunk.rowsCovered;
      onProgress?.({ done, total });
    }
    if (target.products === 0) onProgress?.({ done: 0, total: 0 });
    // Fresh statistics so the app's first queries after a bulk load get sensible plans.
    if (result.productsInserted + result.reviewsInserted > 0)
      await this.dataSource.query('ANALYZE');
    return { ...result, elapsedMs: performance.now() - started };
  }

  private async seedChunk(manager: EntityManager, first: number, last: number, target: SeedTarget) {
    const productRows: unknown[][] = [];
    for (let i = first; i <= last; i++) {
      const p = demoProduct(i);
      productRows.push([p.sku, p.name, p.description, p.category, p.priceCents, p.stock]);
    }
    let productsInserted = 0;
    for (const rows of batches(productRows, PRODUCT_ROWS_PER_STATEMENT)) {
      productsInserted += await this.insert(
        manager,
        'INSERT INTO products (sku, name, description, category, price_cents, stock) VALUES',
        rows,
        ' ON CONFLICT (sku) DO NOTHING',
      );
    }

    // Existing review counts per demo product decide how many are still missing. A correlated
    // count rather than a join: right after a bulk load PostgreSQL's statistics are stale and
    // it would hash-join the whole reviews table for every chunk.
    const existing: { id: number | string; sku: string; reviews: number | string }[] =
      await manager.query(
        `SELECT p.id AS id, p.sku AS sku,
                (SELECT COUNT(*) FROM reviews r WHERE r.product_id = p.id) AS reviews
           FROM products p
          WHERE p.sku BETWEEN ${this.param(1)} AND ${this.param(2)}`,
        [demoSku(first), demoSku(last)],
      );
    const reviewRows: unknown[][] = [];
    let rowsCovered = last - first + 1;
    for (const row of existing) {
      const index = Number(row.sku.slice('DEMO-'.length));
      const wanted = demoReviewCount(index, target.products, target.reviews);
      const have = Number(row.reviews);
      rowsCovered += Math.min(have, wanted);
      for (let k = have; k < wanted; k++) {
        const review = demoReview(index, k);
        reviewRows.push([Number(row.id), review.rating, review.body]);
      }
    }
    let reviewsInserted = 0;
    for (const rows of batches(reviewRows, REVIEW_ROWS_PER_STATEMENT)) {
      reviewsInserted += await this.insert(
        manager,
        'INSERT INTO reviews (product_id, rating, body) VALUES',
        rows,
      );
    }
    rowsCovered += reviewsInserted;
    return { productsInserted, reviewsInserted, rowsCovered };
  }

  /** Runs one multi-row INSERT and returns how many rows it actually inserted. */
  private async insert(
    manager: EntityManager,
    head: string,
    rows: unknown[][],
    tail = '',
  ): Promise<number> {
    const params: unknown[] = [];
    const tuples = rows.map((row) => {
      const placeholders = row.map((value) => {
        params.push(value);
        return this.param(params.length);
      });
      return `(${placeholders.join(', ')})`;
    });
    // Raw results differ by driver (better-sqlite3 `changes`, pg `rowCount`); the structured
    // result reports both as `affected`, which skips rows ON CONFLICT ignored.
    const result = await manager.queryRunner!.query(
      `${head} ${tuples.join(', ')}${tail}`,
      params,
      true,
    );
    return result.affected ?? 0;
  }

  private param(position: number): string {
    return this.dataSource.options.type === 'postgres' ? `$${position}` : '?';
  }
}

function* batches<T>(items: T[], size: number): Generator<T[]> {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
}

function assertTarget({ products, reviews }: SeedTarget): void {
  if (!Number.isInteger(products) || products < 0 || products > MAX_DEMO_PRODUCTS) {
    throw new RangeError(`products must be an integer between 0 and ${MAX_DEMO_PRODUCTS}`);
  }
  if (!Number.isInteger(reviews) || reviews < 0) {
    throw new RangeError('reviews must be a non-negative integer');
  }
  if (reviews > 0 && products === 0) {
    throw new RangeError('reviews need at least one product');
  }
}
