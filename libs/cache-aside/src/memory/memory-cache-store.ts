import type {
  CacheStore,
  LeaseReply,
  PatchOutcome,
  PatchVersion,
  ReadOrLeaseRequest,
} from '../interfaces';
import {
  HEADER_FIELD,
  WHOLE_VALUE_FIELD,
  type CacheStorage,
  type StoredEntry,
} from '../serialization/cache-entry';
import { JsonDocumentEntry, type JsonPathChange } from '../serialization/json-document';
import { ExpiringMap } from './expiring-map';
import { MemoryTagIndex } from './memory-tag-index';

/** What the scripts read from an entry's header: `<version>|<freshUntilMs>|`. */
const FRESH_UNTIL = /^\d+\|(\d+)\|/;
/** A failure record: `<failedAtMs>|<message>`. */
const FAILED_AT = /^(\d+)\|/;
/** A hand-off record: `h<atMs>|<entry>`, a result not cached, for the load's waiters. */
const HANDED_OFF_AT = /^h(\d+)\|/;
/** The value codec writes a plain number as 'J<number>' (patch-entry.lua reads it so). */
const PLAIN_NUMBER = /^J(-?[\d.eE+-]+)$/;

type MemoryEntry = string | Record<string, string>;

/**
 * Errors as Redis replies them: the read path tells a wrong-kind entry from a failure
 * by this text, exactly as it does with the Redis store.
 */
function wrongType(): Error {
  return new Error('WRONGTYPE Operation against a key holding the wrong kind of value');
}

function noJsonModule(command: string): Error {
  return new Error(`ERR unknown command '${command}': the memory store has no RedisJSON`);
}

/** Entries are copied in and out: a caller mutating a hash it read can't change the store. */
function copyOf(entry: MemoryEntry): MemoryEntry {
  return typeof entry === 'string' ? entry : { ...entry };
}

function headerOf(entry: MemoryEntry): string | undefined {
  return typeof entry === 'string' ? entry : entry[HEADER_FIELD];
}

/**
 * The store contract in one process's memory, for tests of decorated services without
 * Redis (`forRoot({ store: 'memory' })`). Each method does in one synchronous step
 * what its Lua script does atomically in Redis, with the same outcomes: read-or-lease
 * (FRESH, GRANTED, HELD, FAILED, BACKOFF), compare-and-set fill, release with a
 * failure record, lease extension, write, patch, evict, and the tag part. It holds
 * the same encoded entries, so values go through the codec as they would in Redis.
 * Like a Redis without RedisJSON: `supportsJson()` is false, so 'json' entries are
 * kept as hashes and a patch of a nested path evicts.
 */
export class MemoryCacheStore implements CacheStore {
  private readonly entries = new ExpiringMap<MemoryEntry>();
  private readonly leases = new ExpiringMap<string>();
  private readonly failures = new ExpiringMap<string>();
  private readonly tagIndex = new MemoryTagIndex();
  private readonly settledListeners: Array<(key: string) => void> = [];

  async read(key: string, storage: CacheStorage): Promise<StoredEntry | null> {
    if (storage === 'json') throw noJsonModule('JSON.GET');
    const entry = this.entries.get(key);
    if (entry === undefined) return null;
    if ((storage === 'hash') !== (typeof entry !== 'string')) throw wrongType();
    return copyOf(entry);
  }

  async readFields(key: string, fields: string[]): Promise<Record<string, string> | null> {
    const entry = this.entries.get(key);
    if (entry === undefined) return null;
    if (typeof entry === 'string') throw wrongType();
    if (entry[HEADER_FIELD] === undefined) return null;
    const found: Record<string, string> = { [HEADER_FIELD]: entry[HEADER_FIELD] };
    for (const field of fields) {
      if (Object.hasOwn(entry, field)) found[field] = entry[field];
    }
    return found;
  }

  /** read-or-lease.lua, step for step. */
  async readOrLease(key: string, request: ReadOrLeaseRequest): Promise<LeaseReply> {
    const stored = this.entries.get(key);
    const entry = stored === undefined ? null : copyOf(stored);
    const freshUntilText =
      stored === undefined ? undefined : FRESH_UNTIL.exec(headerOf(stored) ?? '')?.[1];
    if (request.refreshFreshUntil !== undefined && request.refreshFreshUntil !== 0) {
      // an early refresh: only while the entry it saw is still the current one
      if (freshUntilText !== String(request.refreshFreshUntil))
        return { state: 'FRESH', entry: null };
    } else if (freshUntilText !== undefined && Number(freshUntilText) > request.nowMs) {
      return { state: 'FRESH', entry };
    }
    const failure = this.failures.get(key);
    if (failure !== undefined) {
      const failedAt = FAILED_AT.exec(failure)?.[1];
      const waitingSince = request.waitingSinceMs ?? 0;
      if (waitingSince > 0 && failedAt !== undefined && Number(failedAt) >= waitingSince) {
        return { state: 'FAILED', entry, failure };
      }
      const handedOffAt = HANDED_OFF_AT.exec(failure)?.[1];
      if (waitingSince > 0 && handedOffAt !== undefined && Number(handedOffAt) >= waitingSince) {
        return { state: 'HANDOFF', entry, handoff: failure.slice(failure.indexOf('|') + 1) };
      }
      if (failedAt !== undefined && entry !== null && request.mayServeStale) {
        return { state: 'BACKOFF', entry };
      }
    }
    if (this.leases.get(key) === undefined) {
      this.leases.set(key, request.token, request.leaseTtlMs);
      return { state: 'GRANTED', entry };
    }
    return { state: 'HELD', entry, leaseTtlMs: this.leases.ttlMs(key) };
  }

  /** fill-if-leased.lua: writes only while `token` holds the lease; wakes waiters either way. */
  async fill(key: string, token: string, entry: StoredEntry, ttlMs: number): Promise<boolean> {
    if (this.leases.get(key) !== token) {
      this.settled(key);
      return false;
    }
    this.entries.set(key, this.storable(entry), ttlMs);
    this.leases.delete(key);
    this.failures.delete(key);
    this.settled(key);
    return true;
  }

  /** release-lease.lua: gives the lease back (recording a failure), wakes waiters. */
  async release(
    key: string,
    token: string,
    failure?: { record: string; ttlMs: number },
  ): Promise<boolean> {
    const held = this.leases.get(key) === token;
    if (held) {
      this.leases.delete(key);
      if (failure && failure.ttlMs > 0) this.failures.set(key, failure.record, failure.ttlMs);
    }
    this.settled(key);
    return held;
  }

  async extendLease(key: string, token: string, leaseTtlMs: number): Promise<boolean> {
    return this.leases.get(key) === token && this.leases.expire(key, leaseTtlMs);
  }

  /** write-entry.lua: an unconditional write that kills any lease in flight. */
  async write(key: string, entry: StoredEntry, ttlMs: number): Promise<void> {
    this.entries.set(key, this.storable(entry), ttlMs);
    this.leases.delete(key);
    this.failures.delete(key);
    this.settled(key);
  }

  /** patch-entry.lua, with its outcomes. */
  async patch(
    key: string,
    set: Record<string, string>,
    remove: string[],
    version?: PatchVersion,
  ): Promise<PatchOutcome | 'json-document'> {
    this.leases.delete(key);
    const entry = this.entries.get(key);
    if (entry === undefined) return 'absent';
    if (typeof entry === 'string' || Object.hasOwn(entry, WHOLE_VALUE_FIELD)) {
      this.entries.delete(key);
      return 'evicted';
    }
    if (version !== undefined) {
      const cached = PLAIN_NUMBER.exec(entry[version.field] ?? '')?.[1];
      const cachedVersion = cached === undefined ? Number.NaN : Number(cached);
      if (Number.isNaN(cachedVersion)) {
        this.entries.delete(key);
        return 'evicted';
      }
      if (cachedVersion >= version.value) return 'outdated';
      if (cachedVersion !== version.value - 1) {
        this.entries.delete(key); // a write in between whose patch hasn't landed
        return 'evicted';
      }
    }
    const patched = { ...entry };
    for (const field of remove) delete patched[field];
    Object.assign(patched, set);
    this.entries.replace(key, patched);
    return 'patched';
  }

  /** patch-json-entry.lua on a key that isn't a JSON document (none ever is here): evicts it. */
  async patchJson(key: string, _changes: JsonPathChange[]): Promise<PatchOutcome> {
    this.leases.delete(key);
    return this.entries.delete(key) ? 'evicted' : 'absent';
  }

  supportsJson(): boolean {
    return false;
  }

  async evict(keys: string[]): Promise<void> {
    for (const key of keys) {
      this.entries.delete(key);
      this.leases.delete(key);
      this.failures.delete(key);
    }
  }

  async ttlMs(key: string): Promise<number> {
    return this.entries.ttlMs(key);
  }

  async ping(): Promise<void> {}

  // Tags: versioned, as the tag scripts do it (memory-tag-index.ts).

  async readTagSequence(): Promise<number> {
    return this.tagIndex.readSequence();
  }

  async invalidateTags(tags: string[]): Promise<void> {
    this.tagIndex.invalidate(tags);
  }

  async keepTags(tags: string[], ttlMs: number): Promise<number[]> {
    return this.tagIndex.keep(tags, ttlMs);
  }

  async tagVersions(tags: readonly string[]): Promise<number[]> {
    return this.tagIndex.versionsOf(tags);
  }

  onSettled(listener: (key: string) => void): void {
    this.settledListeners.push(listener);
  }

  /** Memory never fails, so no failed eviction ever waits for it to answer again. */
  onHealthy(): void {}

  /** Like a pub/sub message, the wake-up arrives after the step that caused it. */
  private settled(key: string): void {
    queueMicrotask(() => {
      for (const listener of this.settledListeners) listener(key);
    });
  }

  /** As a Redis without RedisJSON: a JSON document can't be written (the read path never tries). */
  private storable(entry: StoredEntry): MemoryEntry {
    if (entry instanceof JsonDocumentEntry) throw noJsonModule('JSON.SET');
    return copyOf(entry);
  }
}
