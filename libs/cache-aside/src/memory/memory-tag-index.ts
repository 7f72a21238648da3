import { ExpiringMap } from './expiring-map';

/** As the Redis store: members are pruned this long after their entry expired. */
const TAG_PRUNE_MARGIN_MS = 60_000;
/** As the Redis store: the invalidation sequence lives a day past the last invalidation. */
const TAG_SEQUENCE_TTL_MS = 24 * 60 * 60 * 1000;
const SEQUENCE_KEY = 'sequence';

/**
 * The tag part of the store contract in memory, with the semantics of join-tag.lua and
 * the Redis store's tag methods: a tag's members scored by their entry's latest expiry
 * (raised, never lowered), pruned once expired, the tag gone with its last member.
 * Kept apart from the entries because the tag contract is being reworked.
 */
export class MemoryTagIndex {
  private readonly tags = new ExpiringMap<Map<string, number>>();
  private readonly sequences = new ExpiringMap<number>();

  join(tags: string[], key: string, expiresAtMs: number): void {
    const pruneBefore = Date.now() - TAG_PRUNE_MARGIN_MS;
    for (const tag of tags) {
      const members = this.tags.get(tag) ?? new Map<string, number>();
      const latest = members.get(key);
      if (latest === undefined || expiresAtMs > latest) members.set(key, expiresAtMs);
      for (const [member, score] of members) {
        if (score < pruneBefore) members.delete(member);
      }
      if (members.size === 0) {
        this.tags.delete(tag);
        continue;
      }
      const ttlMs = Math.max(0, expiresAtMs - pruneBefore);
      const leftMs = this.tags.ttlMs(tag);
      if (leftMs === -2 || ttlMs > leftMs) this.tags.set(tag, members, ttlMs);
    }
  }

  /** Ordered as ZRANGE orders them: by expiry, then by key. */
  members(tag: string): string[] {
    const members = this.tags.get(tag);
    if (!members) return [];
    return [...members]
      .sort(([a, scoreA], [b, scoreB]) => scoreA - scoreB || (a < b ? -1 : a > b ? 1 : 0))
      .map(([member]) => member);
  }

  leave(tag: string, keys: string[]): void {
    const members = this.tags.get(tag);
    if (!members) return;
    for (const key of keys) members.delete(key);
    if (members.size === 0) this.tags.delete(tag);
  }

  sequence(mode: 'read' | 'bump'): number {
    const current = this.sequences.get(SEQUENCE_KEY) ?? 0;
    if (mode === 'read') return current;
    this.sequences.set(SEQUENCE_KEY, current + 1, TAG_SEQUENCE_TTL_MS);
    return current + 1;
  }
}
