/** Waiters re-check this often even without a notification (a lost message, a dead subscriber). */
const FALLBACK_POLL_MS = 150;

/**
 * Callers waiting for another caller's load of a key: woken when Redis tells us the
 * key settled (filled, released or rejected), or by a jittered poll as a fallback.
 */
export class SettleWaiters {
  private readonly waiters = new Map<string, Set<() => void>>();

  /** Resolves on the next settle of `key`, the fallback poll, or `timeoutMs`, whichever first. */
  wait(key: string, timeoutMs: number): Promise<void> {
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
    const waiting = this.waiters.get(key);
    if (waiting) for (const done of [...waiting]) done();
  }
}
