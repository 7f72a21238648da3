import type { ProductSummary } from '../apps/catalog/src/products/dto/product-summary.dto';
import { CatalogModel } from './catalog-model';
import type { HttpExchange } from './http-client';
import type { Instant } from './soak-clock';
import { StaleReadChecker } from './stale-read-checker';

const at = (seq: number): Instant => ({ seq, ms: seq });

function product(id: number, category: string, version = 1, priceCents = 100): ProductSummary {
  return {
    id,
    sku: `SKU-${id}`,
    name: `Product ${id}`,
    description: '',
    category,
    priceCents,
    stock: 1,
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: `2026-01-01T00:00:0${version}.000Z`,
    version,
  };
}

function exchange(sent: number, received: number, status: number, body?: unknown): HttpExchange {
  return { sent: at(sent), received: at(received), status, xCache: 'HIT', body };
}

const view = (summary: ProductSummary, reviews = 2) => ({
  ...summary,
  rating: { count: reviews, average: 4 },
});

const page = (items: ProductSummary[]) => ({ items, category: 'c', page: 1, limit: 5 });

describe('StaleReadChecker', () => {
  let model: CatalogModel;
  let checker: StaleReadChecker;

  beforeEach(() => {
    model = new CatalogModel(
      [product(1, 'c'), product(2, 'c'), product(3, 'c'), product(4, 'd')].map((summary) => ({
        summary,
        reviews: 2,
      })),
    );
    checker = new StaleReadChecker(model);
  });

  it('flags an older version only for a read sent after the write came back', () => {
    model.acknowledgeView(product(1, 'c', 2, 200), at(10), at(20), 'PATCH');
    checker.checkProductRead(1, 'a', exchange(15, 25, 200, view(product(1, 'c')))); // overlapped
    expect(checker.stale).toEqual([]);
    checker.checkProductRead(1, 'a', exchange(21, 30, 200, view(product(1, 'c'))));
    expect(checker.stale.map((read) => read.kind)).toEqual(['older version']);
    expect(checker.stale[0].missed).toEqual(at(20));
  });

  it('flags a version shown with fields another version had (a patch over an older entry)', () => {
    model.acknowledgeView(product(1, 'c', 3, 300), at(10), at(20), 'PATCH');
    checker.checkProductRead(1, 'a', exchange(30, 31, 200, view(product(1, 'c', 3, 100))));
    expect(checker.stale.map((read) => read.kind)).toEqual(['fields older than its version']);
    expect(checker.stale[0].detail).toContain('priceCents 100 (not 300)');
  });

  it('flags a rating summary missing an acknowledged review', () => {
    model.acknowledgeReview(model.get(1)!, at(20));
    checker.checkProductRead(1, 'a', exchange(15, 25, 200, view(product(1, 'c'), 2)));
    checker.checkProductRead(1, 'a', exchange(21, 25, 200, view(product(1, 'c'), 3)));
    expect(checker.stale).toEqual([]);
    checker.checkProductRead(1, 'a', exchange(21, 25, 200, view(product(1, 'c'), 2)));
    expect(checker.stale.map((read) => read.kind)).toEqual(['reviews missing']);
  });

  it('expects a 404 once a DELETE was sent, and flags the product served after its 204', () => {
    const record = model.get(2)!;
    model.membershipWriteSent(record, at(10), true);
    expect(checker.checkProductRead(2, 'a', exchange(11, 12, 404))).toBe('ok');
    model.membershipWriteEnded(record, at(20), true);
    model.acknowledgeDelete(record, at(20));
    checker.checkProductRead(2, 'a', exchange(21, 22, 200, view(product(2, 'c'))));
    expect(checker.stale.map((read) => read.kind)).toEqual(['deleted product served']);
    expect(checker.checkProductRead(3, 'a', exchange(21, 22, 404))).toBe('unexpected');
  });

  it('flags a cached 404 of an id after POST returned it', () => {
    model.acknowledgeView(product(5, 'c'), at(10), at(20), 'POST');
    expect(checker.checkProductRead(5, 'a', exchange(15, 25, 404))).toBe('ok');
    expect(checker.stale).toEqual([]);
    checker.checkProductRead(5, 'a', exchange(21, 25, 404));
    expect(checker.stale.map((read) => read.kind)).toEqual(['created product still not found']);
  });

  it('flags a page that omits a product settled in its category within the page', () => {
    const query = { category: 'c', page: 1, limit: 5 };
    checker.checkPageRead(
      query,
      'a',
      exchange(30, 31, 200, page([product(1, 'c'), product(3, 'c')])),
    );
    expect(checker.stale.map((read) => [read.kind, read.productId])).toEqual([
      ['page: product missing', 2],
    ]);
  });

  it('does not flag a page for a product whose PUT or DELETE overlapped the read', () => {
    const query = { category: 'c', page: 1, limit: 5 };
    const record = model.get(2)!;
    model.membershipWriteSent(record, at(10), false);
    checker.checkPageRead(
      query,
      'a',
      exchange(30, 31, 200, page([product(1, 'c'), product(3, 'c')])),
    );
    model.membershipWriteEnded(record, at(35), true);
    checker.checkPageRead(
      query,
      'a',
      exchange(32, 40, 200, page([product(1, 'c'), product(3, 'c')])),
    );
    expect(checker.stale).toEqual([]);
  });

  it('flags a page still listing a product moved to another category, or one deleted', () => {
    const query = { category: 'c', page: 1, limit: 5 };
    model.acknowledgeView(product(1, 'd', 2), at(10), at(20), 'PUT');
    model.acknowledgeDelete(model.get(3)!, at(20));
    checker.checkPageRead(
      query,
      'a',
      exchange(30, 31, 200, page([product(1, 'c'), product(2, 'c'), product(3, 'c')])),
    );
    expect(checker.stale.map((read) => [read.kind, read.productId])).toEqual([
      ['page: older version', 1],
      ['page: deleted product listed', 3],
    ]);
  });

  it('checks only the ids a page spans: between its first and last item on a full page', () => {
    const query = { category: 'c', page: 2, limit: 1 };
    checker.checkPageRead(query, 'a', exchange(30, 31, 200, page([product(3, 'c')])));
    checker.checkPageRead({ ...query, page: 9 }, 'a', exchange(30, 31, 200, page([])));
    expect(checker.stale).toEqual([]);
  });
});
