import { summarizeLatencies } from '../src/demo/latency-summary';

describe('summarizeLatencies (the demo stampede latency summary)', () => {
  it('gives nearest-rank percentiles and the histogram over the buckets used', () => {
    const latencies = Array.from({ length: 100 }, (_, i) => i + 1); // 1..100 ms
    const summary = summarizeLatencies(latencies);
    expect(summary).toMatchObject({ minMs: 1, p50Ms: 50, p95Ms: 95, p99Ms: 99, maxMs: 100 });
    expect(summary.meanMs).toBe(50.5);
    expect(summary.histogram).toEqual([
      { fromMs: 0.5, toMs: 1, count: 1 },
      { fromMs: 1, toMs: 2, count: 1 },
      { fromMs: 2, toMs: 5, count: 3 },
      { fromMs: 5, toMs: 10, count: 5 },
      { fromMs: 10, toMs: 20, count: 10 },
      { fromMs: 20, toMs: 50, count: 30 },
      { fromMs: 50, toMs: 100, count: 50 },
    ]);
    expect(summary.histogram.reduce((sum, bucket) => sum + bucket.count, 0)).toBe(100);
  });

  it('puts values past the last bound in an open-ended bucket, and handles no values', () => {
    expect(summarizeLatencies([0.1, 7000]).histogram.at(-1)).toEqual({
      fromMs: 5000,
      toMs: null,
      count: 1,
    });
    expect(summarizeLatencies([]).histogram).toEqual([]);
  });
});
