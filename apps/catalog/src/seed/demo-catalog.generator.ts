/**
 * Deterministic demo data: product i and its k-th review are pure functions of (i, k),
 * which is what lets the seed be re-run or resumed without duplicating anything.
 */

export const DEMO_CATEGORIES = [
  'books',
  'electronics',
  'garden',
  'games',
  'home',
  'kitchen',
  'music',
  'office',
  'pets',
  'sports',
  'toys',
  'outdoors',
] as const;

const ADJECTIVES = ['Compact', 'Classic', 'Deluxe', 'Eco', 'Handmade', 'Modern', 'Rugged', 'Smart'];
const NOUNS = ['Lamp', 'Kettle', 'Backpack', 'Speaker', 'Notebook', 'Planter', 'Puzzle', 'Blanket'];
const REVIEW_BODIES = [
  'Does what it says.',
  'Better than expected for the price.',
  'Arrived quickly, well packed.',
  'Broke after a week.',
  'Would buy again.',
  'Not what the pictures suggested.',
  'Solid build quality.',
  'Gift for my brother, he loves it.',
];

export interface DemoProductRow {
  sku: string;
  name: string;
  description: string;
  category: string;
  priceCents: number;
  stock: number;
}

export interface DemoReviewRow {
  rating: number;
  body: string;
}

/** Zero-padded so SKU order is numeric order, which the seeder's range queries rely on. */
export function demoSku(index: number): string {
  return `DEMO-${String(index).padStart(7, '0')}`;
}

export const MAX_DEMO_PRODUCTS = 9_999_999;

export function demoProduct(index: number): DemoProductRow {
  const h = hash(index, 0);
  const category = DEMO_CATEGORIES[index % DEMO_CATEGORIES.length];
  const name = `${ADJECTIVES[h % ADJECTIVES.length]} ${NOUNS[(h >>> 8) % NOUNS.length]} ${index}`;
  return {
    sku: demoSku(index),
    name,
    description: `${name}, part of the demo ${category} range.`,
    category,
    priceCents: 199 + (hash(index, 1) % 49_800),
    stock: hash(index, 2) % 500,
  };
}

export function demoReview(productIndex: number, reviewIndex: number): DemoReviewRow {
  const h = hash(productIndex, reviewIndex + 3);
  // Skewed towards 4 and 5 stars, like real shop ratings.
  const rating = [1, 2, 3, 4, 4, 5, 5, 5][h % 8];
  return { rating, body: REVIEW_BODIES[(h >>> 4) % REVIEW_BODIES.length] };
}

/** Spreads `reviews` over `products` as evenly as possible; sums to exactly `reviews`. */
export function demoReviewCount(productIndex: number, products: number, reviews: number): number {
  const base = Math.floor(reviews / products);
  return base + (productIndex <= reviews % products ? 1 : 0);
}

function hash(a: number, b: number): number {
  let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(b + 0x27d4eb2f, 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  return (h ^ (h >>> 16)) >>> 0;
}
