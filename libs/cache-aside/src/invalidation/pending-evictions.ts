/**
 * Evictions that failed while Redis was unreachable, kept to be applied once it
 * answers again. Bounded: past `limit` entries the oldest is dropped (reported),
 * and that entry can then be stale until its TTL.
 */
export class PendingEvictions {
  private readonly keys = new Set<string>();
  private readonly tags = new Set<string>();
  dropped = 0;

  constructor(private readonly limit: number) {}

  addKeys(keys: Iterable<string>): void {
    for (const key of keys) this.add(this.keys, key);
  }

  addTags(tags: Iterable<string>): void {
    for (const tag of tags) this.add(this.tags, tag);
  }

  get isEmpty(): boolean {
    return this.keys.size === 0 && this.tags.size === 0;
  }

  get size(): number {
    return this.keys.size + this.tags.size;
  }

  /** Hands out what is pending now; what fails to apply must be added back. */
  take(): { keys: string[]; tags: string[] } {
    const taken = { keys: [...this.keys], tags: [...this.tags] };
    this.keys.clear();
    this.tags.clear();
    return taken;
  }

  private add(set: Set<string>, item: string): void {
    set.delete(item); // re-adding moves it to the newest end
    set.add(item);
    while (this.size > this.limit) {
      const oldest = this.keys.values().next();
      if (!oldest.done) this.keys.delete(oldest.value);
      else this.tags.delete(this.tags.values().next().value!);
      this.dropped++;
    }
  }
}
