/**
 * Draws indexes 0..n-1 with popularity of rank r proportional to 1/r^s, rank 0 first
 * spread over the range by a stride coprime with n (as the HTTP bench does), so the hot
 * products are not simply the first rows.
 */
export class ZipfSampler {
  private readonly cdf: Float64Array;
  private readonly stride: number;

  constructor(
    private readonly n: number,
    exponent: number,
    private readonly random: () => number,
  ) {
    this.cdf = new Float64Array(n);
    let sum = 0;
    for (let rank = 1; rank <= n; rank++) {
      sum += 1 / rank ** exponent;
      this.cdf[rank - 1] = sum;
    }
    for (let i = 0; i < n; i++) this.cdf[i] /= sum;
    let stride = Math.floor(n * 0.618_033_988_75) | 1;
    while (gcd(stride, n) !== 1) stride += 2;
    this.stride = stride;
  }

  next(): number {
    const u = this.random();
    let low = 0;
    let high = this.n - 1;
    while (low < high) {
      const mid = (low + high) >> 1;
      if (this.cdf[mid] < u) low = mid + 1;
      else high = mid;
    }
    return (low * this.stride) % this.n;
  }
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}
