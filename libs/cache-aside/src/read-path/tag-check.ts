import type { CacheStore } from '../interfaces';
import type { CacheEntry } from '../serialization/cache-entry';

/** Tag versions read for a call, by tag. */
export type KnownTagVersions = ReadonlyMap<string, number>;

/**
 * Whether a tagged entry is still current: none of its tags was invalidated after the
 * tag sequence its load recorded (an invalidation raises the sequence and stamps each
 * tag with the new value). Checked on every read of a tagged entry, so an invalidation
 * is O(1) for the writer and no entry of the tag is served once it resolved.
 */
export class TagCheck {
  constructor(private readonly store: CacheStore) {}

  /**
   * Starts reading the versions of tags the call already knows (a decorator's tags),
   * alongside the entry's own read. Never rejects: on failure the check reads again.
   */
  prefetch(tags: readonly string[]): Promise<KnownTagVersions | undefined> {
    return this.store.tagVersions(tags).then(
      (versions) => new Map(tags.map((tag, i) => [tag, versions[i]])),
      () => undefined,
    );
  }

  /** Rejects when Redis can't tell (the caller treats that as Redis being unavailable). */
  async isCurrent(
    entry: Pick<CacheEntry, 'tagging'>,
    prefetched?: Promise<KnownTagVersions | undefined>,
  ): Promise<boolean> {
    const { tags, sequence } = entry.tagging;
    const known = prefetched ? await prefetched : undefined;
    const unknown = known ? tags.filter((tag) => !known.has(tag)) : tags;
    for (const tag of tags) {
      const version = known?.get(tag);
      if (version !== undefined && version > sequence) return false;
    }
    if (unknown.length === 0) return true;
    const versions = await this.store.tagVersions(unknown);
    return versions.every((version) => version <= sequence);
  }
}
