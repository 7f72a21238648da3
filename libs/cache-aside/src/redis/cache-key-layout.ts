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

  /** A tag's member set: `<prefix>:tag:{<tag>}`, never equal to an entry key (those start `<prefix>:{`). */
  tag(tag: string): string {
    return `${this.prefix}:tag:{${tag}}`;
  }

  /** Never written: reading it tells whether the server knows JSON.GET. */
  get jsonProbe(): string {
    return `${this.prefix}:json-probe`;
  }

  /** Counts tag invalidations: loads whose tags come from their result check it around the load. */
  get tagSequence(): string {
    return `${this.prefix}:tag-sequence`;
  }
}
