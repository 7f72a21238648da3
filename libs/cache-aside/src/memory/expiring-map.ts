/**
 * Keys that expire as Redis keys do: an expired key reads as absent (checked on every
 * access, as Redis' passive expiry), and expired keys are swept whenever the map has
 * doubled since the last sweep, so memory stays bounded by the live keys without a
 * timer (a timer would be one more handle to close in every test).
 */
export class ExpiringMap<V> {
  private readonly items = new Map<string, { value: V; expiresAtMs: number }>();
  private sweepAtSize = 1024;

  get(key: string): V | undefined {
    const item = this.items.get(key);
    if (item === undefined) return undefined;
    if (item.expiresAtMs <= Date.now()) {
      this.items.delete(key);
      return undefined;
    }
    return item.value;
  }

  /** Sets the value with a new time to live (`Infinity`: no expiry), as SET PX. */
  set(key: string, value: V, ttlMs: number): void {
    this.items.set(key, { value, expiresAtMs: Date.now() + ttlMs });
    if (this.items.size >= this.sweepAtSize) this.sweep();
  }

  /** Replaces the value of a live key, keeping its time to live (as HSET on a hash). */
  replace(key: string, value: V): boolean {
    if (this.get(key) === undefined) return false;
    this.items.get(key)!.value = value;
    return true;
  }

  /** A new time to live for a live key, as PEXPIRE: false when there is no such key. */
  expire(key: string, ttlMs: number): boolean {
    const value = this.get(key);
    if (value === undefined) return false;
    this.set(key, value, ttlMs);
    return true;
  }

  delete(key: string): boolean {
    return this.items.delete(key);
  }

  /** As PTTL: milliseconds left, -1 without expiry, -2 when there is no such key. */
  ttlMs(key: string): number {
    if (this.get(key) === undefined) return -2;
    const left = this.items.get(key)!.expiresAtMs - Date.now();
    return Number.isFinite(left) ? left : -1;
  }

  get size(): number {
    return this.items.size;
  }

  private sweep(): void {
    const now = Date.now();
    for (const [key, item] of this.items) {
      if (item.expiresAtMs <= now) this.items.delete(key);
    }
    this.sweepAtSize = Math.max(1024, this.items.size * 2);
  }
}
