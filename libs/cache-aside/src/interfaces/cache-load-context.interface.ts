/**
 * What a loader passed to `getOrLoad` may decide about its own result, once it has seen
 * it: `getOrLoad(key, (load) => ...)`. Decorated methods do the same with the
 * `ttlFromResult`, `tagsFromResult` and `unless` options.
 */
export interface CacheLoadContext {
  /** The logical key being loaded. */
  readonly key: string;
  /** Caches this result for `seconds` instead of the call's TTL (grace still applies). */
  setTtlSeconds(seconds: number): void;
  /** Adds tags to this result's entry, with the same guarantee as the call's `tags`. */
  addTags(...tags: string[]): void;
  /**
   * Doesn't cache this result: it goes to this call, to the callers sharing its in-process
   * flight and to the callers waiting for this load in other processes (a hand-off record
   * beside the lease, for a second); a caller that starts afterwards loads again.
   */
  skipCache(): void;
}
