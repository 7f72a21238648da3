import { CacheOptionsError } from '../errors/cache-options.error';
import type { CacheLoadContext } from '../interfaces';
import { normalizeCacheKey } from '../keys';

/** One load's own decisions about its result (see CacheLoadContext). */
export class LoadContext implements CacheLoadContext {
  ttlMs?: number;
  readonly tags: string[] = [];
  skipped = false;

  constructor(readonly key: string) {}

  setTtlSeconds(seconds: number): void {
    if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds <= 0) {
      throw new CacheOptionsError(
        `setTtlSeconds("${this.key}") takes a number of seconds above 0, got ${String(seconds)}`,
      );
    }
    this.ttlMs = seconds * 1000;
  }

  addTags(...tags: string[]): void {
    this.tags.push(...tags.map(normalizeCacheKey));
  }

  skipCache(): void {
    this.skipped = true;
  }
}
