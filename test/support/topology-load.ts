import type { CacheApp } from './cache-app';
import { sleep } from './cache-app';

/**
 * Shared by the cluster and sentinel specs: a read load over some keys while a test
 * breaks Redis underneath, and a record of the fills that Redis took.
 */

export interface TimedCall {
  startedAt: number;
  ms: number;
}

export interface LoadOutcome {
  calls: TimedCall[];
  failed: number;
  wrong: number;
  errors: string[];
}

/** Records when the store's fills succeed (the lease holder's write landed). */
export function recordFills(app: CacheApp): number[] {
  const filledAt: number[] = [];
  const fill = app.store.fill.bind(app.store);
  app.store.fill = async (...args: Parameters<typeof fill>) => {
    const written = await fill(...args);
    if (written) filledAt.push(Date.now());
    return written;
  };
  return filledAt;
}

/**
 * `concurrency` loops of getOrLoad over `keys` until `stop()` resolves: each result is
 * checked against its "row" (the key's own value), each call timed.
 */
export function readLoad(
  app: CacheApp,
  keys: string[],
  options: { concurrency: number; loaderMs: number; ttlSeconds: number },
): { stop: () => Promise<LoadOutcome> } {
  const outcome: LoadOutcome = { calls: [], failed: 0, wrong: 0, errors: [] };
  let running = true;
  const loops = Array.from({ length: options.concurrency }, async () => {
    while (running) {
      const key = keys[Math.floor(Math.random() * keys.length)];
      const startedAt = Date.now();
      const started = performance.now();
      try {
        const value = await app.cache.getOrLoad(
          key,
          async () => {
            await sleep(options.loaderMs);
            return `row of ${key}`;
          },
          { ttlSeconds: options.ttlSeconds },
        );
        if (value !== `row of ${key}`) outcome.wrong++;
      } catch (error) {
        outcome.failed++;
        if (outcome.errors.length < 5) outcome.errors.push(String(error));
      }
      outcome.calls.push({ startedAt, ms: performance.now() - started });
      await sleep(2);
    }
  });
  return {
    stop: async () => {
      running = false;
      await Promise.all(loops);
      return outcome;
    },
  };
}

export function percentile(calls: TimedCall[], p: number): number {
  if (calls.length === 0) return 0;
  const sorted = calls.map((c) => c.ms).sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
}

export async function waitUntil(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}
