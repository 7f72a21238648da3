import { CacheOptionsError } from '../errors/cache-options.error';

const PREFIX_PATTERN = /^[A-Za-z0-9_.:-]+$/;

/**
 * Where an entry's pieces live. The logical key sits inside a Redis Cluster hash
 * tag, so value, lease and failure record share a slot and one script can touch
 * them all; logical keys never contain braces (the key builders encode them).
 */
export class CacheKeyLayout {
  readonly channel: string;

  constructor(readonly prefix: string) {
    if (!PREFIX_PATTERN.test(prefix)) {
      throw new CacheOptionsError(
        `keyPrefix '${prefix}' may contain only letters, digits and _ . : - (braces would break the Redis Cluster hash tag)`,
      );
    }
    this.channel = `${prefix}:settled`;
  }

  value(key: string): string {
    return `${this.prefix}:{${key}}`;
  }

  lease(key: string): string {
    return `${this.prefix}:{${key}}:lease`;
  }

  failure(key: string): string {
    return `${this.prefix}:{${key}}:failure`;
  }

  /** Set while a caller waits for the key's lease holder: its fill or release then publishes. */
  waiters(key: string): string {
    return `${this.prefix}:{${key}}:waiters`;
  }

  /**
   * A tag's version (the sequence value of its last invalidation):
   * `<prefix>:tag-version:{<tag>}`, never equal to an entry key (those start `<prefix>:{`).
   */
  tagVersion(tag: string): string {
    return `${this.prefix}:tag-version:{${tag}}`;
  }

  /**
   * What client tracking watches: entries (with their leases and failure records, which
   * share the prefix and are told apart by {@link changeOf}) and tag versions.
   */
  get trackedPrefixes(): string[] {
    return [`${this.prefix}:{`, `${this.prefix}:tag-version:{`];
  }

  /** The entry or tag a changed Redis key is, or undefined (a lease, a failure record...). */
  changeOf(redisKey: string): { key: string } | { tag: string } | undefined {
    if (!redisKey.endsWith('}')) return undefined;
    const entry = `${this.prefix}:{`;
    if (redisKey.startsWith(entry)) return { key: redisKey.slice(entry.length, -1) };
    const tagVersion = `${this.prefix}:tag-version:{`;
    if (redisKey.startsWith(tagVersion)) return { tag: redisKey.slice(tagVersion.length, -1) };
    return undefined;
  }

  /** Never written: reading it tells whether the server knows JSON.GET. */
  get jsonProbe(): string {
    return `${this.prefix}:json-probe`;
  }

  /** Orders tag invalidations and loads: a load reads it before it starts, an invalidation raises it. */
  get tagSequence(): string {
    return `${this.prefix}:tag-sequence`;
  }
}
