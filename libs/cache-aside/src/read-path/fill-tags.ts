import type { CacheDiagnostics } from '../cache-diagnostics';
import type { CacheStore } from '../interfaces';
import { normalizeCacheKey } from '../keys';
import type { EntryTagging } from '../serialization/cache-entry';
import { UNTAGGED } from '../serialization/cache-entry';
import type { ReadPolicy } from './read-policy';

/** A tagged load under way: the tag sequence read before it, and when it started. */
export interface TaggedLoad {
  sequence: number;
  startedMs: number;
}

/**
 * An invalidation keeps a tag's version at least 10 minutes (TAG_VERSION_FLOOR_MS in the
 * Redis store) for loads in flight; a load older than half that is not cached, so its
 * fill can't outlive the version that says it is out of date.
 */
export const MAX_TAGGED_LOAD_AGE_MS = 5 * 60 * 1000;

/** A tag's version is kept this long past its entries' expiry: room for clock drift between nodes. */
export const TAG_KEEP_MARGIN_MS = 60_000;

/**
 * The tag half of a fill. Before the load reads the database it records the tag
 * sequence; after, it stretches each tag's version over the entry's life and checks
 * that no tag was invalidated meanwhile. The entry carries the sequence and its tags,
 * and reads compare them with the tags' versions (TagCheck).
 */
export class FillTags {
  constructor(
    private readonly store: CacheStore,
    private readonly diagnostics: CacheDiagnostics,
  ) {}

  /**
   * Before the load: undefined for an untagged read, 'untracked' when Redis didn't tell.
   * `loaderMayTag`: the loader takes its context, so it may add tags of its own.
   */
  async begin(
    policy: ReadPolicy,
    loaderMayTag = false,
  ): Promise<TaggedLoad | undefined | 'untracked'> {
    if (policy.tags.length === 0 && !policy.tagsFromResult && !loaderMayTag) return undefined;
    try {
      return { sequence: await this.store.readTagSequence(), startedMs: performance.now() };
    } catch (error) {
      this.diagnostics.redisFailed('read-tag-sequence', error);
      return 'untracked';
    }
  }

  /**
   * After the load: the entry's tagging; 'invalidated' when one of its tags was invalidated
   * while it loaded (the value may be from before that write); undefined when the value
   * must not be cached for another reason.
   */
  async finish(
    key: string,
    load: TaggedLoad | undefined | 'untracked',
    value: unknown,
    policy: ReadPolicy,
    entryTtlMs: number,
    loaderTags: readonly string[] = [],
  ): Promise<EntryTagging | 'invalidated' | undefined> {
    if (load === undefined) return UNTAGGED;
    if (load === 'untracked') return undefined;
    if (performance.now() - load.startedMs > MAX_TAGGED_LOAD_AGE_MS) {
      this.diagnostics.logOnce(
        `tag-age:${key}`,
        `Not caching "${key}": its load took over ${MAX_TAGGED_LOAD_AGE_MS / 60_000} minutes, longer than a tag invalidation is remembered for it`,
      );
      return undefined;
    }
    const fromCall = this.tagsOf(key, value, policy);
    if (fromCall === undefined) return undefined;
    const tags = loaderTags.length > 0 ? [...new Set([...fromCall, ...loaderTags])] : fromCall;
    if (tags.length === 0) return UNTAGGED;
    let versions: number[];
    try {
      versions = await this.store.keepTags(tags, entryTtlMs + TAG_KEEP_MARGIN_MS);
    } catch (error) {
      this.diagnostics.redisFailed('keep-tag', error);
      return undefined;
    }
    if (versions.some((version) => version > load.sequence)) {
      this.diagnostics.count('rejectedFills', key);
      return 'invalidated';
    }
    return { sequence: load.sequence, tags };
  }

  private tagsOf(key: string, value: unknown, policy: ReadPolicy): string[] | undefined {
    if (!policy.tagsFromResult) return [...policy.tags];
    try {
      return [...new Set([...policy.tags, ...policy.tagsFromResult(value).map(normalizeCacheKey)])];
    } catch (error) {
      this.diagnostics.logOnce(
        `tags-from-result:${key}`,
        `Not caching "${key}": tagsFromResult failed: ${(error as Error).message}`,
      );
      return undefined;
    }
  }
}
