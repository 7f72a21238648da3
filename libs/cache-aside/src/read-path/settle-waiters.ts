/** Waiters re-check this often even without a notification (a lost message, a dead subscriber). */
const FALLBACK_POLL_MS = 150;

/** How long a settle is remembered for a waiter whose "held" reply arrives after it. */
const RECENT_SETTLE_MS = 1000;

/**
 * Callers waiting for another caller's load of a key: woken when Redis tells us the
 * key settled (filled, released or rejected), or by a jittered poll as a fallback.
 *
 * The settle notice comes on the subscriber connection, the "held" reply that sends a
 * caller waiting on the command connection: the notice can arrive first, and a waiter
 * that registered after it would sleep until the poll. So settles are remembered for a
 * second, and a caller that asked Redis after one (`askedAtMs`) doesn't wait at all.
 */
export class SettleWaiters {
  private readonly waiters = new Map<string, Set<() => void>>();
  /** Key -> when it last settled (performance.now()), oldest first. */
  private readonly recent = new Map<string, number>();

  /**
   * Resolves on the next settle of `key`, the fallback poll, or `timeoutMs`, whichever
   * first; at once if the key settled after `askedAtMs` (performance.now() when the caller
   * sent the request that told it to wait).
   */
  wait(key: string, timeoutMs: number, askedAtMs?: number): Promise<void> {
    const settledAt = this.recent.get(key);
    if (askedAtMs !== undefined && settledAt !== undefined && settledAt >= askedAtMs) {
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      let waiting = this.waiters.get(key);
      if (!waiting) this.waiters.set(key, (waiting = new Set()));
      const set = waiting;
      const poll = FALLBACK_POLL_MS * (0.5 + Math.random());
      const done = () => {
        clearTimeout(timer);
        set.delete(done);
        if (set.size === 0 && this.waiters.get(key) === set) this.waiters.delete(key);
        resolve();
      };
      const timer = setTimeout(done, Math.max(1, Math.min(timeoutMs, poll)));
      set.add(done);
    });
  }

  wake(key: string): void {
    const now = performance.now();
    this.recent.delete(key);
    this.recent.set(key, now);
    for (const [settled, at] of this.recent) {
      if (now - at < RECENT_SETTLE_MS) break;
      this.recent.delete(settled);
    }
    const waiting = this.waiters.get(key);
    if (waiting) for (const done of [...waiting]) done();
  }
}
