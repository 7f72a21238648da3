/*
 * Micro-benchmark of the value codec against bare JSON on a ~1 KB product.
 *
 *   npx ts-node --transpile-only libs/cache-aside/src/serialization/value-codec.bench.ts
 *
 * Each figure is the best of many rounds (the least disturbed by GC, JIT and neighbours).
 */
import { decodeValue, encodeValue } from './value-codec';

const ROUNDS = 40;
const ITERATIONS = 5_000;

function makeProduct(): Record<string, unknown> {
  return {
    id: 'prod_8f14e45fceea167a5a36dedd4bea2543',
    sku: 'SKU-ACME-000123-BLU-XL',
    name: 'Acme Trail Runner 3 — Waterproof Running Shoe',
    description:
      'A lightweight trail running shoe with a waterproof membrane, a grippy lugged ' +
      'outsole and a cushioned midsole for long days on rough ground. Reinforced toe ' +
      'cap, gusseted tongue and a quick-lace system that stays put when wet. Made ' +
      'with 30% recycled materials and shipped in plastic-free packaging.',
    price: 129.95,
    currency: 'EUR',
    stock: 42,
    active: true,
    tags: ['running', 'trail', 'waterproof', 'outdoor', 'men', 'sale'],
    categoryIds: [12, 87, 310],
    images: [
      'https://cdn.example.com/p/8f14e45f/front.jpg',
      'https://cdn.example.com/p/8f14e45f/side.jpg',
    ],
    rating: {
      average: 4.6,
      count: 1287,
      histogram: { 1: 21, 2: 30, 3: 88, 4: 301, 5: 847 },
    },
    createdAt: new Date('2024-03-01T09:30:00.000Z'),
    updatedAt: new Date('2025-06-17T14:02:11.123Z'),
  };
}

/** Best µs per call of each case; rounds interleave the cases so drift hits them alike. */
function measure(cases: Record<string, () => unknown>): Record<string, number> {
  const best: Record<string, number> = {};
  let sink: unknown;
  for (let round = 0; round < ROUNDS; round++) {
    for (const [label, run] of Object.entries(cases)) {
      const start = process.hrtime.bigint();
      for (let i = 0; i < ITERATIONS; i++) sink = run();
      const micros = Number(process.hrtime.bigint() - start) / ITERATIONS / 1000;
      best[label] = Math.min(best[label] ?? Infinity, micros);
    }
  }
  if (sink === Symbol.for('never')) console.log(sink);
  return best;
}

const product = makeProduct();
const json = JSON.stringify(product);
const encoded = encodeValue(product);
const { createdAt: _createdAt, updatedAt: _updatedAt, ...plainProduct } = product;
const plainEncoded = encodeValue(plainProduct);
const plainJson = JSON.stringify(plainProduct);

console.log(`JSON text ${json.length} chars, codec text ${encoded.length} chars\n`);
const results = measure({
  'JSON.stringify': () => JSON.stringify(product),
  encodeValue: () => encodeValue(product),
  'JSON.parse': () => JSON.parse(json),
  'decodeValue (2 Dates, A format)': () => decodeValue(encoded),
  'JSON.parse (no Dates)': () => JSON.parse(plainJson),
  'decodeValue (no Dates, J format)': () => decodeValue(plainEncoded),
});
for (const [label, micros] of Object.entries(results)) {
  console.log(`${label.padEnd(36)} ${micros.toFixed(3)} µs`);
}
const ratio = results['decodeValue (2 Dates, A format)'] / results['JSON.parse'];
console.log(`\ndecodeValue / JSON.parse: ${ratio.toFixed(2)}x`);
