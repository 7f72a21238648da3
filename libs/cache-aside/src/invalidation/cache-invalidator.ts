import type { CacheDiagnostics } from '../cache-diagnostics';
import type { CacheStore, PatchOutcome } from '../interfaces';
import type { EntryAccess } from '../read-path/entry-access';
import { TAG_KEEP_MARGIN_MS } from '../read-path/fill-tags';
import type { EvictionGate } from '../read-path/read-through';
import {
  ALL_ENTRIES_TAG,
  entryTtlMsOf,
  freshMsOf,
  type ReadPolicy,
} from '../read-path/read-policy';
import type { ResolvedModuleOptions } from '../resolve-module-options';
import {
  encodePatch,
  patchVersionOf,
  UNTAGGED,
  type CacheStorage,
} from '../serialization/cache-entry';
import { encodeJsonPatch } from '../serialization/json-document';
import { PendingEvictions } from './pending-evictions';

/** Keys deleted per round trip when failed evictions are applied. */
const EVICTION_BATCH = 500;
/** After a failed replay, wait this long before the next (doubling up to the maximum). */
const REPLAY_BACKOFF_MS = 50;
const MAX_REPLAY_BACKOFF_MS = 2000;

/**
 * Told of every eviction once it resolved (or failed): in-process flights and near-cache
 * entries must not outlive it. A tag invalidation is `'all'` (which flights carry the tag
 * is known only once they loaded) with its tags.
 */
export type EvictionListener = (keys: string[] | 'all', tags: readonly string[]) => void;

/**
 * Every write to the cache that invalidates: `set`, `del`, `patch`, tag invalidation,
 * `evictAll`, and the replay of those that failed. Each also cancels loads in flight
 * (they lose their lease, or their tags say they are out of date) and detaches the
 * in-process flights of its keys. An eviction that failed is queued whole: until it is
 * applied, this process bypasses the cache, and it is applied as soon as Redis answers
 * again (after any successful command, on reconnect, or by a retry timer), without
 * waiting for a read.
 */
export class CacheInvalidator implements EvictionGate {
  private readonly pending: PendingEvictions;
  private replaying?: Promise<boolean>;
  private replayBackoffMs = REPLAY_BACKOFF_MS;
  private nextReplayAtMs = 0;
  private replayTimer?: NodeJS.Timeout;
  private replayingCount = 0;
  private readonly listeners: EvictionListener[] = [];

  constructor(
    private readonly options: ResolvedModuleOptions,
    private readonly store: CacheStore,
    private readonly entries: EntryAccess,
    private readonly diagnostics: CacheDiagnostics,
  ) {
    this.pending = new PendingEvictions(options.maxPendingEvictions);
    store.onHealthy(() => {
      if (!this.pending.isEmpty && !this.replaying && Date.now() >= this.nextReplayAtMs) {
        void this.settle();
      }
    });
  }

  onEvicted(listener: EvictionListener): void {
    this.listeners.push(listener);
  }

  get settled(): boolean {
    return this.pending.isEmpty && !this.replaying;
  }

  /** Evictions that failed and are waiting to be applied (keys and tags), the one being replayed included. */
  get pendingCount(): number {
    return this.pending.size + this.replayingCount;
  }

  settle(): Promise<boolean> {
    // a replay in flight has taken the queue: until it succeeded, nothing is settled
    if (this.replaying) return this.replaying;
    if (this.pending.isEmpty) return Promise.resolve(true);
    this.replaying = this.replay().finally(() => (this.replaying = undefined));
    return this.replaying;
  }

  async set(
    key: string,
    value: unknown,
    policy: ReadPolicy,
    storage: CacheStorage,
  ): Promise<boolean> {
    const freshMs = freshMsOf(policy.ttlMs, policy);
    const entryTtlMs = entryTtlMsOf(freshMs, policy);
    try {
      let tagging = UNTAGGED;
      if (policy.tags.length > 0) {
        const sequence = await this.store.readTagSequence();
        // an invalidation racing this write leaves a version above `sequence`: the entry reads as a miss
        await this.store.keepTags([...policy.tags], entryTtlMs + TAG_KEEP_MARGIN_MS);
        tagging = { sequence, tags: policy.tags };
      }
      const encoded = this.entries.encode(key, value, freshMs, 0, storage, tagging);
      if (encoded === undefined) return false;
      await this.store.write(key, encoded, entryTtlMs);
      return true;
    } catch (error) {
      this.failed('set', error, [key]); // the older value may still be there
      return false;
    } finally {
      this.evicted([key]);
    }
  }

  async del(keys: string[]): Promise<boolean> {
    try {
      await this.store.evict(keys);
      return true;
    } catch (error) {
      this.failed('del', error, keys);
      return false;
    } finally {
      this.evicted(keys);
    }
  }

  async invalidateTags(tags: string[]): Promise<boolean> {
    try {
      await this.store.invalidateTags(tags);
      return true;
    } catch (error) {
      this.failed('invalidate-tags', error, [], tags);
      return false;
    } finally {
      this.evicted('all', tags);
    }
  }

  evictAll(): Promise<boolean> {
    return this.invalidateTags([ALL_ENTRIES_TAG]);
  }

  /** See CacheAsideService.patch. */
  async patch(
    key: string,
    changes: Record<string, unknown>,
    version: string | undefined,
  ): Promise<PatchOutcome | 'unavailable'> {
    const nested = Object.keys(changes).some((name) => name.includes('.'));
    const fields = nested ? undefined : this.encodeChanges(key, () => encodePatch(changes));
    const patchVersion =
      version === undefined
        ? undefined
        : this.encodeChanges(key, () => patchVersionOf(changes, version));
    try {
      if (fields === null || patchVersion === null) return await this.evictInstead(key);
      const outcome =
        fields && (await this.store.patch(key, fields.set, fields.remove, patchVersion));
      if (outcome !== undefined && outcome !== 'json-document') return outcome;
      if (patchVersion) return await this.evictInstead(key);
      const paths = this.encodeChanges(key, () => encodeJsonPatch(changes));
      if (paths === null) return await this.evictInstead(key);
      return await this.store.patchJson(key, paths);
    } catch (error) {
      this.failed('patch', error, [key]); // the entry may still hold the old fields
      return 'unavailable';
    } finally {
      this.evicted([key]);
    }
  }

  private async evictInstead(key: string): Promise<PatchOutcome | 'unavailable'> {
    return (await this.del([key])) ? 'evicted' : 'unavailable';
  }

  /** The encoded changes, or null when they can't be cached (so the old entry must go). */
  private encodeChanges<E>(key: string, encode: () => E): E | null {
    try {
      return encode();
    } catch (error) {
      this.diagnostics.logOnce(`encode:${key}`, `Evicting "${key}": ${(error as Error).message}`);
      return null;
    }
  }

  private evicted(keys: string[] | 'all', tags: readonly string[] = []): void {
    for (const listener of this.listeners) listener(keys, tags);
  }

  private failed(operation: string, error: unknown, keys: string[], tags: string[] = []): void {
    this.diagnostics.redisFailed(operation, error);
    this.pending.addKeys(keys);
    this.pending.addTags(tags);
    this.scheduleReplay();
  }

  /** Applies what failed, whole: keys deleted again, tag invalidations redone from the start. */
  private async replay(): Promise<boolean> {
    const { keys, tags } = this.pending.take();
    this.replayingCount = keys.length + tags.length;
    try {
      for (let i = 0; i < keys.length; i += EVICTION_BATCH) {
        await this.store.evict(keys.slice(i, i + EVICTION_BATCH));
      }
      if (tags.length > 0) await this.store.invalidateTags(tags);
      this.replayBackoffMs = REPLAY_BACKOFF_MS;
      this.diagnostics.logger.log(
        `Applied ${keys.length + tags.length} eviction(s) that had failed while Redis was unreachable`,
      );
    } catch (error) {
      this.pending.addKeys(keys);
      this.pending.addTags(tags);
      this.diagnostics.redisFailed('pending-evictions', error);
      this.nextReplayAtMs = Date.now() + this.replayBackoffMs;
      this.replayBackoffMs = Math.min(this.replayBackoffMs * 2, MAX_REPLAY_BACKOFF_MS);
    }
    this.replayingCount = 0;
    this.scheduleReplay();
    return this.pending.isEmpty;
  }

  /** Retries on a timer too: a process that sends no other command still applies them. */
  private scheduleReplay(): void {
    if (this.pending.isEmpty || this.replayTimer) return;
    const delay = Math.max(this.nextReplayAtMs - Date.now(), REPLAY_BACKOFF_MS);
    this.replayTimer = setTimeout(() => {
      this.replayTimer = undefined;
      void this.settle();
    }, delay);
    this.replayTimer.unref();
  }

  /**
   * At shutdown: applies the evictions still queued, retrying until `withinMs`, since
   * once this process is gone nobody knows they failed and other instances would serve
   * the old values until their TTL. What still can't be applied is logged as an error.
   */
  async drain(withinMs: number): Promise<void> {
    const deadline = Date.now() + withinMs;
    while (!this.settled && Date.now() < deadline) {
      if (await this.settle()) break;
      await new Promise((resolve) => setTimeout(resolve, Math.min(100, deadline - Date.now())));
    }
    if (!this.settled) {
      this.diagnostics.logger.error(
        `Shutting down with ${this.pendingCount} eviction(s) that Redis never took: other instances may serve the old values until their TTL`,
      );
    }
  }

  /** Stops the retry timer (the module is shutting down). */
  close(): void {
    clearTimeout(this.replayTimer);
    this.replayTimer = undefined;
  }
}
