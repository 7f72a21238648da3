import type { ProductSummary } from '../apps/catalog/src/products/dto/product-summary.dto';
import { CountingHistory, RaisingHistory } from './acknowledged-history';
import type { SeededProduct } from './soak-database';
import type { Instant } from './soak-clock';

/**
 * Everything the API shows of a product but the rating summary: what its version fixes
 * (every write of the row raises it; reviews don't touch the row).
 */
const CONTENT_FIELDS = [
  'id',
  'sku',
  'name',
  'description',
  'category',
  'priceCents',
  'stock',
  'createdAt',
  'updatedAt',
  'version',
] as const;

export function contentOf(view: ProductSummary): string {
  return JSON.stringify(CONTENT_FIELDS.map((field) => view[field]));
}

/** The fields two contents disagree on, as `name shown (expected)`. */
export function contentDifference(shown: string, expected: string): string {
  const a = JSON.parse(shown) as unknown[];
  const b = JSON.parse(expected) as unknown[];
  return CONTENT_FIELDS.flatMap((field, i) =>
    a[i] === b[i] ? [] : [`${field} ${JSON.stringify(a[i])} (not ${JSON.stringify(b[i])})`],
  ).join(', ');
}

/** What the soak knows of one product: only what responses told it, stamped with when. */
export class ProductRecord {
  /** Versions returned by write responses (PUT, PATCH, POST), as of any point. */
  readonly versions = new RaisingHistory();
  /** Reviews whose POST came back. */
  readonly reviewsAcknowledged = new CountingHistory();
  /** Content per version, from write responses and reads of the database (X-Cache BYPASS). */
  readonly contents = new Map<number, { content: string; learnt: Instant; from: string }>();
  /** The highest version acknowledged (or seeded): the body of the next PUT, the category. */
  latest: ProductSummary;
  /** When the category in `latest` was acknowledged (undefined: seeded). */
  categorySince?: Instant;
  /** The response that created it (undefined: seeded). */
  created?: Instant;
  /** The first DELETE sent, and the 204 of one. */
  deleteSent?: Instant;
  deleted?: Instant;
  /** PUTs and DELETEs in flight, and when the last of them ended: the category is settled. */
  membershipWritesInFlight = 0;
  membershipSettled?: Instant;
  /**
   * A PUT or DELETE ended without an answer here (refused, reset, 5xx): it may or may not
   * have been applied, so the category is unknown until a later write's response tells.
   */
  uncertainAfter?: Instant;

  constructor(
    readonly id: number,
    latest: ProductSummary,
    readonly initialReviews: number,
  ) {
    this.latest = latest;
  }

  /** Reviews every read that starts at `seq` must count at least. */
  reviewFloor(seq: number): number {
    return this.initialReviews + this.reviewsAcknowledged.before(seq);
  }

  /** Whether its category stayed as acknowledged for all of [sent, received]. */
  membershipSettledOver(sent: Instant): boolean {
    if (this.membershipWritesInFlight > 0 || this.uncertainAfter || this.deleteSent) return false;
    if (this.membershipSettled && this.membershipSettled.seq >= sent.seq) return false;
    return !this.categorySince || this.categorySince.seq < sent.seq;
  }
}

/**
 * The catalog as the load generator's responses describe it. Only the soak writes to the
 * database, so a response's version and the reviews acknowledged are exact lower bounds for
 * every read that starts after them.
 */
export class CatalogModel {
  private readonly products = new Map<number, ProductRecord>();
  private readonly byCategory = new Map<string, Set<ProductRecord>>();
  readonly seededIds: number[];
  readonly categories: string[];
  /** Ids of products the soak created, newest last. */
  readonly createdIds: number[] = [];
  private highestId = 0;

  constructor(seed: SeededProduct[]) {
    for (const { summary, reviews } of seed) {
      const record = new ProductRecord(summary.id, summary, reviews);
      record.contents.set(summary.version, {
        content: contentOf(summary),
        learnt: { seq: 0, ms: 0 },
        from: 'the seed',
      });
      this.products.set(summary.id, record);
      this.join(record, summary.category);
      this.highestId = Math.max(this.highestId, summary.id);
    }
    this.seededIds = seed.map(({ summary }) => summary.id);
    this.categories = [...this.byCategory.keys()].sort();
  }

  get(id: number): ProductRecord | undefined {
    return this.products.get(id);
  }

  /** An id no product has had yet: reads of it are 404s that get cached as "not found". */
  unusedId(offset: number): number {
    return this.highestId + 1 + offset;
  }

  inCategory(category: string): Iterable<ProductRecord> {
    return this.byCategory.get(category) ?? [];
  }

  categorySize(category: string): number {
    return this.byCategory.get(category)?.size ?? 0;
  }

  membershipWriteSent(record: ProductRecord, sent: Instant, isDelete: boolean): void {
    record.membershipWritesInFlight += 1;
    if (isDelete) record.deleteSent ??= sent;
  }

  membershipWriteEnded(record: ProductRecord, received: Instant, answered: boolean): void {
    record.membershipWritesInFlight -= 1;
    if (record.membershipWritesInFlight === 0) record.membershipSettled = received;
    if (!answered) record.uncertainAfter = received;
  }

  /** A PUT, PATCH or POST returned this view; `sent` is when its request left. */
  acknowledgeView(view: ProductSummary, sent: Instant, received: Instant, from: string): void {
    let record = this.products.get(view.id);
    if (!record) {
      record = new ProductRecord(view.id, view, 0);
      record.created = received;
      record.categorySince = received;
      this.products.set(view.id, record);
      this.createdIds.push(view.id);
      this.highestId = Math.max(this.highestId, view.id);
      this.join(record, view.category);
    }
    record.versions.raise(received, view.version);
    this.learnContent(record, view, received, from);
    if (record.uncertainAfter && sent.seq > record.uncertainAfter.seq) {
      record.uncertainAfter = undefined;
    }
    if (view.version > record.latest.version) {
      if (view.category !== record.latest.category && !record.deleted) {
        this.leave(record);
        this.join(record, view.category);
        record.categorySince = received;
      }
      record.latest = view;
    }
  }

  acknowledgeDelete(record: ProductRecord, received: Instant): void {
    if (record.deleted) return;
    record.deleted = received;
    this.leave(record);
  }

  acknowledgeReview(record: ProductRecord, received: Instant): void {
    record.reviewsAcknowledged.add(received);
  }

  /** Content seen for a version: the first source wins, later ones are compared with it. */
  learnContent(record: ProductRecord, view: ProductSummary, at: Instant, from: string): void {
    if (!record.contents.has(view.version)) {
      record.contents.set(view.version, { content: contentOf(view), learnt: at, from });
    }
  }

  private join(record: ProductRecord, category: string): void {
    let members = this.byCategory.get(category);
    if (!members) this.byCategory.set(category, (members = new Set()));
    members.add(record);
  }

  private leave(record: ProductRecord): void {
    this.byCategory.get(record.latest.category)?.delete(record);
  }
}
