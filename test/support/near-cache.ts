import { sleep, type CacheApp } from './cache-app';

/**
 * Reads until the near cache answers. A fill is a change of the key like any other: its
 * invalidation can reach this process after the next read was sent, which then isn't
 * kept (the in-flight rule), so a key may take a read or two more to settle in memory.
 */
export async function warm(read: () => Promise<{ source?: string }>): Promise<void> {
  for (let i = 0; i < 20; i++) {
    if ((await read()).source === 'near') return;
    await sleep(i);
  }
  throw new Error('never answered from the near cache');
}

/** The values `stats().near.tracking` takes (polled every 5 ms) and when, in order, until stopped. */
export function recordTracking(app: CacheApp): {
  seen: boolean[];
  at: number[];
  stop: () => void;
} {
  const seen: boolean[] = [];
  const at: number[] = [];
  const timer = setInterval(() => {
    const on = app.cache.stats().near?.tracking ?? false;
    if (seen[seen.length - 1] === on) return;
    seen.push(on);
    at.push(Date.now());
  }, 5);
  return { seen, at, stop: () => clearInterval(timer) };
}
