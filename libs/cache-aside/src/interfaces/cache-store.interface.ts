import type { CacheStorage, StoredEntry } from '../serialization/cache-entry';
import type { JsonPathChange } from '../serialization/json-document';

/** What a read-or-lease step found (see scripts/read-or-lease.lua). */
export type LeaseReply =
  | { state: 'FRESH'; entry: StoredEntry | null }
  | { state: 'GRANTED'; entry: StoredEntry | null }
  | { state: 'HELD'; entry: StoredEntry | null; leaseTtlMs: number }
  | { state: 'FAILED'; entry: StoredEntry | null; failure: string }
  /** The load this caller waited for isn't cached: its result, as a string entry. */
  | { state: 'HANDOFF'; entry: StoredEntry | null; handoff: string }
  | { state: 'BACKOFF'; entry: StoredEntry };

export interface ReadOrLeaseRequest {
  token: string;
  leaseTtlMs: number;
  nowMs: number;
  /** Fresh-until of the entry an early refresh wants to replace, or undefined. */
  refreshFreshUntil?: number;
  /** When this caller started waiting for someone else's load, or undefined. */
  waitingSinceMs?: number;
  mayServeStale: boolean;
}

/** 'outdated': the entry already holds the patch's version or a newer one, and was left as is. */
export type PatchOutcome = 'patched' | 'absent' | 'evicted' | 'outdated';

/** A hash field holding the entity's version (a number that grows with every write), and the patch's. */
export interface PatchVersion {
  field: string;
  value: number;
}

/**
 * Told by the store of changes made in it by any process (Redis client tracking), for
 * the near cache. Keys and tags are logical (as the read path names them).
 */
export interface StoreChangeListener {
  keysChanged(keys: readonly string[]): void;
  /** A tag's version changed (invalidated, or its life stretched): its entries may be out of date. */
  tagsChanged(tags: readonly string[]): void;
  /** Anything may have changed (the database was flushed). */
  everythingChanged(): void;
  /** Changes are delivered (`true`) from now on, or can't be (`false`: until `true` again). */
  trackingChanged(on: boolean): void;
}

/**
 * The small contract the read path needs from its store; keys are logical keys
 * (already normalized), the store maps them to its own layout. Every method may
 * reject (Redis down, timeout): callers treat that as a cache failure, never as
 * the business call's failure.
 */
export interface CacheStore {
  read(key: string, storage: CacheStorage): Promise<StoredEntry | null>;
  /** A hash entry's header and the named fields (null when there is no hash entry). */
  readFields(key: string, fields: string[]): Promise<Record<string, string> | null>;
  readOrLease(key: string, request: ReadOrLeaseRequest): Promise<LeaseReply>;
  /** Writes only while `token` still holds the lease. */
  fill(key: string, token: string, entry: StoredEntry, ttlMs: number): Promise<boolean>;
  /** Gives the lease back; false when `token` no longer held it (an eviction overtook the load). */
  release(
    key: string,
    token: string,
    failure?: { record: string; ttlMs: number },
  ): Promise<boolean>;
  extendLease(key: string, token: string, leaseTtlMs: number): Promise<boolean>;
  /** Unconditional write that also cancels any in-flight load of the key. */
  write(key: string, entry: StoredEntry, ttlMs: number): Promise<void>;
  /**
   * Sets and removes fields of an existing hash entry, keeping its TTL; cancels in-flight
   * loads. With `version`, only over an older version. 'json-document' when the entry is
   * a RedisJSON document (left for `patchJson`).
   */
  patch(
    key: string,
    set: Record<string, string>,
    remove: string[],
    version?: PatchVersion,
  ): Promise<PatchOutcome | 'json-document'>;
  /** Sets and removes paths inside an existing RedisJSON entry, keeping its TTL; cancels in-flight loads. */
  patchJson(key: string, changes: JsonPathChange[]): Promise<PatchOutcome>;
  /** Whether the server has RedisJSON; undefined until a connection told. */
  supportsJson(): boolean | undefined;
  /** Deletes entries with their leases, so in-flight loads of them can't fill. */
  evict(keys: string[]): Promise<void>;
  ttlMs(key: string): Promise<number>;
  ping(): Promise<void>;
  /**
   * The tag sequence now. A load of a tagged entry reads it before it reads the
   * database and records it in the entry; see {@link invalidateTags}.
   */
  readTagSequence(): Promise<number>;
  /**
   * Invalidates tags in O(1) per tag: raises the tag sequence and makes the new value
   * each tag's version, so every entry of the tag whose load began earlier (it recorded
   * a lower sequence) reads as a miss from now on. Safe to retry from the start.
   */
  invalidateTags(tags: string[]): Promise<void>;
  /**
   * Before a tagged entry is filled: keeps each tag's version readable for at least
   * `ttlMs` (the entry's life), and returns the versions (0: never invalidated).
   */
  keepTags(tags: string[], ttlMs: number): Promise<number[]>;
  /** The tags' versions now (0: never invalidated, or so long ago that no entry can remember it). */
  tagVersions(tags: readonly string[]): Promise<number[]>;
  /** Calls `listener(key)` whenever an entry is filled, released or rejected, in any process. */
  onSettled(listener: (key: string) => void): void;
  /**
   * Calls `listener` after every command that succeeded and on every (re)connect: the
   * moment to apply evictions that failed earlier. Runs on the hit path: keep it cheap.
   */
  onHealthy(listener: (operation: string) => void): void;
  /**
   * Tells `listener` of every change of an entry or tag version in the store, by any
   * process, from the moment it reports `trackingChanged(true)`. Stores that can't
   * (the memory store, which is its own near cache) leave this out.
   */
  trackChanges?(listener: StoreChangeListener): void;
}
