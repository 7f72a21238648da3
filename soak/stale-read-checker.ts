import type { ProductPage } from '../apps/catalog/src/products/dto/product-page.dto';
import type { ProductSummary } from '../apps/catalog/src/products/dto/product-summary.dto';
import type { ProductView } from '../apps/catalog/src/products/dto/product-view.dto';
import {
  type CatalogModel,
  contentDifference,
  contentOf,
  type ProductRecord,
} from './catalog-model';
import type { HttpExchange } from './http-client';
import type { Instant } from './soak-clock';

export type StaleKind =
  | 'older version'
  | 'fields older than its version'
  | 'reviews missing'
  | 'deleted product served'
  | 'created product still not found'
  | 'page: older version'
  | 'page: fields older than its version'
  | 'page: deleted product listed'
  | 'page: product missing';

/** Which TTL bounds a stale read of this kind (the entry that should have gone). */
export type StaleEntry = 'product' | 'not-found' | 'page';

export interface StaleRead {
  kind: StaleKind;
  /** The product the read got wrong. */
  productId: number;
  entry: StaleEntry;
  request: string;
  instance: string;
  xCache?: string;
  sent: Instant;
  received: Instant;
  detail: string;
  /** The acknowledgement the read contradicts, when it came before the read was sent. */
  missed?: Instant;
}

/** A read's verdict besides stale reads: whether its status was what the model allows. */
export type ReadStatus = 'ok' | 'unexpected';

/**
 * Compares each read with what write responses had acknowledged before the read's request
 * was sent (the model's histories, looked up at the request's `sent.seq`):
 *
 * - a product view must show at least the version acknowledged last, the fields that
 *   version has (a patch applied over an older entry shows the version but older fields),
 *   and at least the reviews acknowledged; a deleted product must be a 404, and a created
 *   one no longer a (cached) 404;
 * - every product a category page lists obeys the same version and field rules and is not
 *   deleted; and the page misses no product that was in the category all along the read
 *   (acknowledged there before it, no PUT or DELETE of it in flight meanwhile) whose id
 *   falls within the page: a page is a slice of the category's ids in order, so between
 *   its first and last item (or past the first item on a short, last page) nothing that
 *   belongs there may be absent.
 */
export class StaleReadChecker {
  readonly stale: StaleRead[] = [];

  constructor(private readonly model: CatalogModel) {}

  checkProductRead(id: number, instance: string, exchange: HttpExchange): ReadStatus {
    const record = this.model.get(id);
    const { sent, received } = exchange;
    const report = (kind: StaleKind, entry: StaleEntry, detail: string, missed?: Instant) =>
      this.stale.push({
        kind,
        productId: id,
        entry,
        request: `GET /products/${id}`,
        instance,
        xCache: exchange.xCache,
        sent,
        received,
        detail,
        missed: missed && missed.seq < sent.seq ? missed : undefined,
      });

    if (exchange.status === 404) {
      const deleting = record?.deleteSent && record.deleteSent.seq < received.seq;
      if (!record || deleting) return 'ok';
      if (record.created) {
        if (record.created.seq < sent.seq) {
          report(
            'created product still not found',
            'not-found',
            `404, but POST /products had returned id ${id}`,
            record.created,
          );
        }
        return 'ok';
      }
      return 'unexpected';
    }
    if (exchange.status !== 200 || !record) return 'ok';

    const view = exchange.body as ProductView;
    if (record.deleted && record.deleted.seq < sent.seq) {
      report(
        'deleted product served',
        'product',
        `200 (version ${view.version}) after DELETE had answered 204`,
        record.deleted,
      );
      return 'ok';
    }
    const stale = this.checkVersion(record, view, exchange);
    if (stale) report(stale.kind, 'product', stale.detail, stale.missed);

    const floor = record.reviewFloor(sent.seq);
    if (view.rating.count < floor) {
      const missing = floor - view.rating.count;
      report(
        'reviews missing',
        'product',
        `rating.count ${view.rating.count}, but ${floor} reviews had been acknowledged (${missing} missing)`,
        record.reviewsAcknowledged.nth(view.rating.count - record.initialReviews + 1),
      );
    }
    return 'ok';
  }

  checkPageRead(
    query: { category: string; page: number; limit: number },
    instance: string,
    exchange: HttpExchange,
  ): ReadStatus {
    if (exchange.status !== 200) return 'ok';
    const { category, page, limit } = query;
    const { sent, received } = exchange;
    const { items } = exchange.body as ProductPage;
    const report = (kind: StaleKind, productId: number, detail: string, missed?: Instant) =>
      this.stale.push({
        kind,
        productId,
        entry: 'page',
        request: `GET /products?category=${category}&page=${page}&limit=${limit}`,
        instance,
        xCache: exchange.xCache,
        sent,
        received,
        detail,
        missed: missed && missed.seq < sent.seq ? missed : undefined,
      });

    for (const item of items) {
      const record = this.model.get(item.id);
      if (!record) continue;
      if (record.deleted && record.deleted.seq < sent.seq) {
        report(
          'page: deleted product listed',
          item.id,
          `lists product ${item.id} after DELETE had answered 204`,
          record.deleted,
        );
        continue;
      }
      const stale = this.checkVersion(record, item, exchange);
      if (stale)
        report(`page: ${stale.kind}`, item.id, `product ${item.id}: ${stale.detail}`, stale.missed);
    }

    if (items.length === 0 && page > 1) return 'ok';
    const listed = new Set(items.map((item) => item.id));
    const low = page === 1 ? -Infinity : items[0].id;
    const high = items.length < limit ? Infinity : items[items.length - 1].id;
    for (const record of this.model.inCategory(category)) {
      if (record.id < low || record.id > high || listed.has(record.id)) continue;
      if (!record.membershipSettledOver(sent)) continue;
      const since = record.categorySince;
      report(
        'page: product missing',
        record.id,
        `omits product ${record.id}, in "${category}" ${since ? 'since a write acknowledged before the read' : 'since the seed'}, within the page's ids ${low}..${high}`,
        since,
      );
    }
    return 'ok';
  }

  private checkVersion(
    record: ProductRecord,
    shown: ProductSummary,
    { sent, received, xCache }: HttpExchange,
  ):
    | { kind: 'older version' | 'fields older than its version'; detail: string; missed?: Instant }
    | undefined {
    const floor = record.versions.before(sent.seq);
    if (floor !== undefined && shown.version < floor) {
      return {
        kind: 'older version',
        detail: `version ${shown.version}, but version ${floor} had been acknowledged`,
        missed: record.versions.firstAbove(shown.version, sent.seq),
      };
    }
    const known = record.contents.get(shown.version);
    if (known && known.content !== contentOf(shown)) {
      return {
        kind: 'fields older than its version',
        detail: `version ${shown.version} with ${contentDifference(contentOf(shown), known.content)}: that version's fields as ${known.from} showed them`,
        missed: known.learnt,
      };
    }
    // Read straight from the database (Redis unavailable): the content of its version. A MISS
    // may be another caller's fill read back from a hash a patch has touched since, so no.
    if (!known && xCache === 'BYPASS') {
      this.model.learnContent(record, shown, received, 'a BYPASS read');
    }
    return undefined;
  }
}
