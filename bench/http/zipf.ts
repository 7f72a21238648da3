import { seededRandom } from '../../test/support/seeded-random';

/**
 * Product ids drawn from a Zipf distribution (popularity of rank r proportional to 1/r^s),
 * precomputed so the load generator only reads the next one. Deterministic (seeded PRNG),
 * so every subject of a run, and every run, sends the same sequence.
 */
export interface ZipfRequests {
  /** ids in request order */
  ids: Int32Array;
  /** Share of the requests that the `top` most popular ids receive, in theory. */
  topShare(top: number): number;
}

export function zipfIds(options: {
  items: number;
  exponent: number;
  count: number;
  seed: number;
}): ZipfRequests {
  const { items, exponent, count } = options;
  const cdf = new Float64Array(items);
  let sum = 0;
  for (let rank = 1; rank <= items; rank++) {
    sum += 1 / rank ** exponent;
    cdf[rank - 1] = sum;
  }
  for (let i = 0; i < items; i++) cdf[i] /= sum;

  const random = seededRandom(options.seed);
  const ids = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const u = random();
    let low = 0;
    let high = items - 1;
    while (low < high) {
      const mid = (low + high) >> 1;
      if (cdf[mid] < u) low = mid + 1;
      else high = mid;
    }
    ids[i] = rankToId(low, items);
  }
  return { ids, topShare: (top) => cdf[Math.min(top, items) - 1] };
}

/**
 * Spreads popular ranks over the id space (rank 0 → id 1, then a fixed stride coprime
 * with `items`), so the hot products are not the first rows of the table.
 */
function rankToId(rank: number, items: number): number {
  let stride = Math.floor(items * 0.618_033_988_75) | 1;
  while (gcd(stride, items) !== 1) stride += 2;
  return ((rank * stride) % items) + 1;
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}
