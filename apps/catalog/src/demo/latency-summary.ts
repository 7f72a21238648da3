/** Upper bounds (ms) of the latency histogram's buckets; the last bucket is open-ended. */
export const LATENCY_BUCKET_BOUNDS_MS = [
  0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000,
] as const;

export interface LatencyBucket {
  /** Lower bound in ms (inclusive of values above the previous bucket). */
  fromMs: number;
  /** Upper bound in ms, or null for the open-ended last bucket. */
  toMs: number | null;
  count: number;
}

export interface LatencySummary {
  minMs: number;
  meanMs: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
  /** From the first non-empty bucket to the last, so a chart shows only the range used. */
  histogram: LatencyBucket[];
}

/** Percentiles (nearest rank) and a log-spaced histogram of some latencies in ms. */
export function summarizeLatencies(latenciesMs: readonly number[]): LatencySummary {
  if (latenciesMs.length === 0) {
    return { minMs: 0, meanMs: 0, p50Ms: 0, p95Ms: 0, p99Ms: 0, maxMs: 0, histogram: [] };
  }
  const sorted = [...latenciesMs].sort((a, b) => a - b);
  const rank = (p: number) => sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)];
  const counts = new Array<number>(LATENCY_BUCKET_BOUNDS_MS.length + 1).fill(0);
  for (const ms of sorted) {
    const index = LATENCY_BUCKET_BOUNDS_MS.findIndex((bound) => ms <= bound);
    counts[index === -1 ? LATENCY_BUCKET_BOUNDS_MS.length : index]++;
  }
  const first = counts.findIndex((count) => count > 0);
  const last = counts.length - 1 - [...counts].reverse().findIndex((count) => count > 0);
  const histogram: LatencyBucket[] = [];
  for (let i = first; i <= last; i++) {
    histogram.push({
      fromMs: i === 0 ? 0 : LATENCY_BUCKET_BOUNDS_MS[i - 1],
      toMs: i < LATENCY_BUCKET_BOUNDS_MS.length ? LATENCY_BUCKET_BOUNDS_MS[i] : null,
      count: counts[i],
    });
  }
  return {
    minMs: round(sorted[0]),
    meanMs: round(sorted.reduce((sum, ms) => sum + ms, 0) / sorted.length),
    p50Ms: round(rank(0.5)),
    p95Ms: round(rank(0.95)),
    p99Ms: round(rank(0.99)),
    maxMs: round(sorted[sorted.length - 1]),
    histogram,
  };
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}
