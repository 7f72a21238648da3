import { PAGE_LIMITS } from '../apps/catalog/src/products/dto/list-products-query.dto';
import type { DemoProductRow } from '../apps/catalog/src/seed/demo-catalog.generator';
import type { CatalogModel, ProductRecord } from './catalog-model';
import { ZipfSampler } from './zipf-sampler';

/** What PUT and POST send: the fields the demo's own generator makes a product of. */
type ProductBody = DemoProductRow;

export type Operation =
  | { kind: 'read-product'; id: number }
  | { kind: 'read-page'; category: string; page: number; limit: number }
  | { kind: 'patch'; id: number; body: { priceCents?: number; stock?: number } }
  | { kind: 'put'; id: number; body: ProductBody }
  | { kind: 'delete'; id: number }
  | { kind: 'review'; id: number; body: { rating: number; body: string } }
  | { kind: 'create'; body: ProductBody };

export type OperationKind = Operation['kind'];

export const OPERATION_KINDS: OperationKind[] = [
  'read-product',
  'read-page',
  'patch',
  'put',
  'review',
  'create',
  'delete',
];

export function isRead(operation: Operation): boolean {
  return operation.kind === 'read-product' || operation.kind === 'read-page';
}

export function httpRequestOf(operation: Operation): {
  method: string;
  path: string;
  payload?: unknown;
} {
  switch (operation.kind) {
    case 'read-product':
      return { method: 'GET', path: `/products/${operation.id}` };
    case 'read-page': {
      const { category, page, limit } = operation;
      const query = `category=${encodeURIComponent(category)}&page=${page}&limit=${limit}`;
      return { method: 'GET', path: `/products?${query}` };
    }
    case 'patch':
      return { method: 'PATCH', path: `/products/${operation.id}`, payload: operation.body };
    case 'put':
      return { method: 'PUT', path: `/products/${operation.id}`, payload: operation.body };
    case 'delete':
      return { method: 'DELETE', path: `/products/${operation.id}` };
    case 'review':
      return { method: 'POST', path: `/products/${operation.id}/reviews`, payload: operation.body };
    case 'create':
      return { method: 'POST', path: '/products', payload: operation.body };
  }
}

/**
 * Per thousand picks. Writes are about 10% of the requests, on the same Zipf-popular
 * products the reads hit; a patch pair is two PATCHes of one product (one its price, the
 * other its stock) sent at once through different instances, as two people editing it.
 */
const WEIGHTS: Array<[string, number]> = [
  ['read-product', 555],
  ['read-fresh-id', 40],
  ['read-page', 300],
  ['patch', 35],
  ['patch-pair', 5],
  ['put', 20],
  ['review', 25],
  ['create', 8],
  ['delete', 7],
];

// Page sizes as a client would pick them: mostly the default, some of every allowed one.
const LIMIT_WEIGHTS: Record<(typeof PAGE_LIMITS)[number], number> = {
  1: 2,
  2: 3,
  5: 5,
  10: 10,
  20: 45,
  50: 25,
  100: 10,
};

/**
 * The soak's request mix: Zipf-popular products (reads and writes alike, so writes race
 * reads and each other on the hot ones), Zipf-popular categories' pages (first, last and in between, where
 * a moved or created product shows), ids just created or about to be (404s cached as "not
 * found", then created), and deletes mostly of what the soak created.
 */
export class OperationMix {
  private readonly zipf: ZipfSampler;
  private readonly categoryZipf: ZipfSampler;
  private created = 0;

  constructor(
    private readonly model: CatalogModel,
    private readonly random: () => number,
    private readonly runTag: string,
  ) {
    this.zipf = new ZipfSampler(model.seededIds.length, 1, random);
    this.categoryZipf = new ZipfSampler(model.categories.length, 1, random);
  }

  /** The next request, or requests to send at the same time through different instances. */
  next(): Operation[] {
    let roll = this.random() * 1000;
    for (const [kind, weight] of WEIGHTS) {
      roll -= weight;
      if (roll < 0) return kind === 'patch-pair' ? this.patchPair() : [this.operation(kind)];
    }
    return [this.operation('read-product')];
  }

  private patchPair(): Operation[] {
    const id = this.writableId();
    return [
      { kind: 'patch', id, body: { priceCents: 100 + Math.floor(this.random() * 50_000) } },
      { kind: 'patch', id, body: { stock: Math.floor(this.random() * 500) } },
    ];
  }

  private operation(kind: string): Operation {
    switch (kind) {
      case 'read-fresh-id':
        return { kind: 'read-product', id: this.freshId() };
      case 'read-page':
        return this.pageRead();
      case 'patch': {
        const id = this.writableId();
        const priceCents = 100 + Math.floor(this.random() * 50_000);
        const stock = Math.floor(this.random() * 500);
        const which = this.random();
        const body =
          which < 1 / 3 ? { priceCents } : which < 2 / 3 ? { stock } : { priceCents, stock };
        return { kind: 'patch', id, body };
      }
      case 'put': {
        const record = this.model.get(this.writableId())!;
        return { kind: 'put', id: record.id, body: this.replacement(record) };
      }
      case 'review':
        return {
          kind: 'review',
          id: this.writableId(),
          body: { rating: 1 + Math.floor(this.random() * 5), body: 'Soak review' },
        };
      case 'create':
        return { kind: 'create', body: this.newProduct() };
      case 'delete':
        return { kind: 'delete', id: this.deletableId() };
      default:
        return { kind: 'read-product', id: this.popularId() };
    }
  }

  private popularId(): number {
    return this.model.seededIds[this.zipf.next()];
  }

  /** A popular product no DELETE was sent for (a few tries; deleted ones answer 404 anyway). */
  private writableId(): number {
    for (let attempt = 0; attempt < 5; attempt++) {
      const id = this.popularId();
      if (!this.model.get(id)?.deleteSent) return id;
    }
    return this.popularId();
  }

  private deletableId(): number {
    const created = this.model.createdIds.filter((id) => !this.model.get(id)!.deleteSent);
    if (created.length > 0 && this.random() < 0.7) {
      return created[Math.floor(this.random() * created.length)];
    }
    const seeded = this.model.seededIds;
    return seeded[Math.floor(this.random() * seeded.length)];
  }

  /** A product the soak created lately, or an id the next creates will take. */
  private freshId(): number {
    const recent = this.model.createdIds.slice(-20);
    if (recent.length > 0 && this.random() < 0.5) {
      return recent[Math.floor(this.random() * recent.length)];
    }
    return this.model.unusedId(Math.floor(this.random() * 3));
  }

  private pageRead(): Operation {
    const category = this.model.categories[this.categoryZipf.next()];
    const limit = this.pick(LIMIT_WEIGHTS);
    const lastPage = Math.max(1, Math.ceil(this.model.categorySize(category) / limit));
    const roll = this.random();
    const page = roll < 0.5 ? 1 : roll < 0.8 ? lastPage : 1 + Math.floor(this.random() * lastPage);
    return { kind: 'read-page', category, page, limit };
  }

  private replacement(record: ProductRecord): ProductBody {
    const { sku, description, category, priceCents } = record.latest;
    const { categories } = this.model;
    const moves = this.random() < 0.25;
    return {
      sku,
      name: `Soak replacement ${Math.floor(this.random() * 1e9)}`,
      description,
      category: moves ? categories[Math.floor(this.random() * categories.length)] : category,
      priceCents,
      stock: Math.floor(this.random() * 500),
    };
  }

  private newProduct(): ProductBody {
    this.created += 1;
    const { categories } = this.model;
    return {
      sku: `SOAK-${this.runTag}-${this.created}`,
      name: `Soak product ${this.created}`,
      description: 'Created by the soak',
      category: categories[Math.floor(this.random() * categories.length)],
      priceCents: 100 + Math.floor(this.random() * 50_000),
      stock: Math.floor(this.random() * 500),
    };
  }

  private pick<K extends number>(weights: Record<K, number>): K {
    const entries = Object.entries<number>(weights);
    const total = entries.reduce((sum, [, weight]) => sum + weight, 0);
    let roll = this.random() * total;
    for (const [key, weight] of entries) {
      roll -= weight;
      if (roll < 0) return Number(key) as K;
    }
    return Number(entries[0][0]) as K;
  }
}
