import { ExpiringMap } from './expiring-map';

/** As the Redis store (redis-cache-store.ts): the sequence key's life, and a tag version's floor. */
const TAG_SEQUENCE_TTL_MS = 24 * 60 * 60 * 1000;
const TAG_VERSION_FLOOR_MS = 10 * 60 * 1000;
const SEQUENCE_KEY = 'sequence';

/**
 * Versioned tags in memory, with the semantics of the tag scripts (read-tag-sequence,
 * bump-tag-sequence, invalidate-tag, keep-tag): a sequence that follows the clock in
 * microseconds and never goes down, and per tag the sequence value of its last
 * invalidation, kept alive as long as the entries that carry the tag.
 */
export class MemoryTagIndex {
  private readonly sequence = new ExpiringMap<number>();
  private readonly versions = new ExpiringMap<number>();

  readSequence(): number {
    const current = this.sequence.get(SEQUENCE_KEY);
    if (current !== undefined) return current;
    const started = nowMicros();
    this.sequence.set(SEQUENCE_KEY, started, TAG_SEQUENCE_TTL_MS);
    return started;
  }

  invalidate(tags: string[]): void {
    const version = Math.max((this.sequence.get(SEQUENCE_KEY) ?? 0) + 1, nowMicros());
    this.sequence.set(SEQUENCE_KEY, version, TAG_SEQUENCE_TTL_MS);
    for (const tag of tags) {
      const current = this.versions.get(tag);
      const left = this.versions.ttlMs(tag);
      const ttlMs = Math.max(left, TAG_VERSION_FLOOR_MS);
      this.versions.set(tag, Math.max(current ?? 0, version), ttlMs);
    }
  }

  keep(tags: string[], ttlMs: number): number[] {
    return tags.map((tag) => {
      const version = this.versions.get(tag);
      if (version === undefined) {
        this.versions.set(tag, 0, ttlMs);
        return 0;
      }
      if (ttlMs > this.versions.ttlMs(tag)) this.versions.set(tag, version, ttlMs);
      return version;
    });
  }

  versionsOf(tags: readonly string[]): number[] {
    return tags.map((tag) => this.versions.get(tag) ?? 0);
  }
}

/** The clock in microseconds, as Redis TIME gives it (Date.now: tests move it). */
function nowMicros(): number {
  return Date.now() * 1000;
}
