import type { CacheStore } from '../interfaces';
import type { CacheDiagnostics } from '../cache-diagnostics';
import type { ResolvedModuleOptions } from '../resolve-module-options';
import {
  decodeEntry,
  encodeEntryAs,
  storedSize,
  type CacheEntry,
  type CacheStorage,
  type EntryTagging,
  type StoredEntry,
} from '../serialization/cache-entry';
import { JsonDocumentEntry } from '../serialization/json-document';
import { TagCheck, type KnownTagVersions } from './tag-check';

/**
 * Reading, decoding, encoding and vetting entries: what reads and writes share. An entry
 * is usable only when it decodes and none of its tags was invalidated after its load.
 */
export class EntryAccess {
  readonly tags: TagCheck;

  constructor(
    private readonly options: ResolvedModuleOptions,
    private readonly store: CacheStore,
    private readonly diagnostics: CacheDiagnostics,
  ) {
    this.tags = new TagCheck(store);
  }

  /**
   * The hit path: one GET (HGETALL for hash entries, JSON.GET for JSON ones). An entry
   * of another kind (the storage of a key changed between deploys) is read that way
   * once, then replaced by the next fill; a key of a type we never write is a miss.
   * Tags are not checked here: see {@link isCurrent}.
   */
  async read<T>(
    key: string,
    storage: CacheStorage,
    tried: CacheStorage[] = [],
  ): Promise<CacheEntry<T> | undefined | 'unavailable'> {
    const kind = this.storageOnServer(storage);
    let stored: StoredEntry | null;
    try {
      stored = await this.store.read(key, kind);
    } catch (error) {
      if (!isWrongType(error)) {
        this.diagnostics.redisFailed('get', error);
        return 'unavailable';
      }
      const next = this.storagesOnServer().find(
        (other) => other !== kind && !tried.includes(other),
      );
      if (next !== undefined) return this.read(key, next, [...tried, kind]);
      this.diagnostics.count('corruptEntries', key);
      return undefined;
    }
    return stored === null ? undefined : this.decode<T>(key, stored);
  }

  /**
   * Whether none of the entry's tags was invalidated after its load began; an untagged
   * entry is always current. 'unavailable' when Redis couldn't tell.
   */
  async isCurrent(
    entry: Pick<CacheEntry, 'tagging'>,
    prefetched?: Promise<KnownTagVersions | undefined>,
  ): Promise<boolean | 'unavailable'> {
    if (entry.tagging.tags.length === 0) return true;
    try {
      return await this.tags.isCurrent(entry, prefetched);
    } catch (error) {
      this.diagnostics.redisFailed('tag-versions', error);
      return 'unavailable';
    }
  }

  /**
   * 'json' needs RedisJSON: until a connection has told, and on a server without it,
   * such entries are kept as hashes (top-level patches still apply in place; a patch of
   * a nested path evicts the entry).
   */
  storageOnServer(storage: CacheStorage): CacheStorage {
    if (storage !== 'json') return storage;
    const supported = this.store.supportsJson();
    if (supported) return 'json';
    if (supported === false) {
      this.diagnostics.logOnce(
        'json-module',
        "storage 'json' needs RedisJSON, which this Redis doesn't have: such entries are kept as hashes (patches of nested paths evict them)",
      );
    }
    return 'hash';
  }

  private storagesOnServer(): CacheStorage[] {
    return this.store.supportsJson() ? ['string', 'hash', 'json'] : ['string', 'hash'];
  }

  /** The entry, or undefined when it is corrupt or foreign (counted, logged once per key). */
  decode<T>(key: string, stored: StoredEntry | null): CacheEntry<T> | undefined {
    if (stored === null) return undefined;
    try {
      const entry = decodeEntry<T>(stored);
      entry.storedBytes = lengthOf(stored);
      return entry;
    } catch (error) {
      this.diagnostics.count('corruptEntries', key);
      this.diagnostics.logOnce(
        `corrupt:${key}`,
        `Ignoring a corrupt or foreign entry under "${key}" (${(error as Error).message}); it will be replaced`,
      );
      return undefined;
    }
  }

  /** The entry to store, or undefined when the value can't be cached (counted, logged once). */
  encode(
    key: string,
    value: unknown,
    freshMs: number,
    loadMs: number,
    storage: CacheStorage,
    tagging?: EntryTagging,
  ): StoredEntry | undefined {
    let encoded: StoredEntry;
    try {
      encoded = encodeEntryAs(
        this.storageOnServer(storage),
        value,
        Date.now() + freshMs,
        loadMs,
        tagging,
      );
    } catch (error) {
      this.diagnostics.count('uncacheableValues', key);
      this.diagnostics.logOnce(
        `encode:${key}`,
        `Not caching "${key}": ${(error as Error).message}`,
      );
      return undefined;
    }
    const size = storedSize(encoded);
    if (size > this.options.maxValueBytes) {
      this.diagnostics.count('uncacheableValues', key);
      this.diagnostics.logOnce(
        `size:${key}`,
        `Not caching "${key}": ${size} bytes is over maxValueBytes (${this.options.maxValueBytes})`,
      );
      return undefined;
    }
    return encoded;
  }
}

/** An entry's size in characters: O(1) for a string entry, unlike its size in bytes. */
function lengthOf(stored: StoredEntry): number {
  if (typeof stored === 'string') return stored.length;
  if (stored instanceof JsonDocumentEntry) return stored.text.length;
  let length = 0;
  for (const field in stored) length += field.length + stored[field].length;
  return length;
}

export function isWrongType(error: unknown): boolean {
  return (error as Error)?.message?.startsWith('WRONGTYPE') ?? false;
}
