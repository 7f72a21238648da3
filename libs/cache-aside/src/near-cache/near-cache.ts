import type {
  CacheEventName,
  CacheStore,
  NearCacheState,
  StoreChangeListener,
} from '../interfaces';
import type { ResolvedModuleOptions } from '../resolve-module-options';
import type { CacheEntry } from '../serialization/cache-entry';
import { nearCacheSettingsOf, type NearCacheSettings } from './near-cache-settings';
import { copierFor, type ValueCopier } from './shape-copier';
import { copyValue, freezeValue } from './value-copy';

/** Second chances the eviction hand gives per eviction (see makeRoom). */
const MAX_SECOND_CHANCES = 32;

interface NearEntry {
  /** The decoded value: a private copy ('copy') or the shared frozen instance ('frozen'). */
  value: unknown;
  /** What each hit hands out: a copier compiled for the value's shape, or the identity ('frozen'). */
  copy: ValueCopier;
  /** When this entry stops being served: its fresh-until in Redis, or sooner (maxTtlSeconds). */
  expiresAtMs: number;
  freshUntilMs: number;
  loadMs: number;
  tags: readonly string[];
  bytes: number;
  /** Hit since the eviction hand last passed it (CLOCK: a hit sets a flag instead of reordering). */
  used: boolean;
  /** Before this (epoch ms) hits don't consider an early refresh: see ReadThrough.read. */
  nextRefreshCheckMs: number;
}

/** What a near-cache hit gives the read path. */
export interface NearHit {
  value: unknown;
  copy: ValueCopier;
  freshUntilMs: number;
  loadMs: number;
  nextRefreshCheckMs: number;
}

/**
 * A read from Redis in progress: taken before the command is sent, so that an
 * invalidation arriving while it is in flight keeps its (possibly older) result out.
 */
export interface NearTicket {
  readonly key: string;
  readonly epoch: number;
  readonly generation: number;
  readonly tagGeneration: number;
}

/**
 * Decoded values in this process, kept coherent by Redis: the store tells it of every
 * key (and tag version) that changes in Redis, by any process (client tracking), and
 * when it can no longer tell (the tracking connection dropped: everything goes, and
 * nothing is kept until tracking is back).
 *
 * The "caching in progress" rule of Redis's client-side caching: a value read from
 * Redis is kept only if no invalidation of its key (of any tag, for a tagged entry),
 * no flush and no loss of tracking happened between sending the read and keeping the
 * value. An invalidation that arrives after the value was kept drops it, so the value
 * is stale here at most for the time Redis takes to deliver the invalidation.
 */
export class NearCache implements StoreChangeListener {
  private readonly entries = new Map<string, NearEntry>();
  private readonly keysByTag = new Map<string, Set<string>>();
  /** Reads of a key in flight, and how often the key changed since the first of them began. */
  private readonly reading = new Map<string, { readers: number; generation: number }>();
  private readonly maxEntryBytes: number;
  private epoch = 0;
  private tagGeneration = 0;
  private usedBytes = 0;
  private tracking = false;
  private readonly changeListeners: Array<(keys: readonly string[] | 'all') => void> = [];
  /** Test-only: keep values whatever happened while their read was in flight, to show the race the rule prevents. */
  unsafeSkipInFlightCheck = false;

  constructor(
    private readonly settings: NearCacheSettings,
    private readonly count: (counter: CacheEventName, key?: string) => void,
  ) {
    this.maxEntryBytes = Math.floor(settings.maxBytes / 8);
  }

  /** Whether reads use it unless they say `nearCache: false`. */
  get byDefault(): boolean {
    return this.settings.byDefault;
  }

  /**
   * Told of every change after it is applied: the keys, or `'all'` (a tag, a flush, tracking
   * lost or back). The read path detaches its in-process loads of those keys, so a read that
   * starts once another process's write has been delivered doesn't join a load from before it.
   */
  onChange(listener: (keys: readonly string[] | 'all') => void): void {
    this.changeListeners.push(listener);
  }

  private changed(keys: readonly string[] | 'all'): void {
    for (const listener of this.changeListeners) listener(keys);
  }

  /** Whether an entry for `key` is kept (fresh or not: {@link get} decides). */
  holds(key: string): boolean {
    return this.entries.has(key);
  }

  /** The entry to serve, if there is one still fresh. */
  get(key: string): NearHit | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (Date.now() >= entry.expiresAtMs) {
      this.remove(key, entry);
      return undefined;
    }
    entry.used = true;
    return entry;
  }

  /** The value a hit hands out: a caller's own copy, or the shared frozen instance. */
  valueOf<T>(hit: NearHit): T {
    return hit.copy(hit.value) as T;
  }

  /** Before a read of `key` is sent to Redis; every ticket must be ended with {@link end}. */
  begin(key: string): NearTicket {
    let reading = this.reading.get(key);
    if (reading === undefined) {
      reading = { readers: 0, generation: 0 };
      this.reading.set(key, reading);
    }
    reading.readers++;
    return {
      key,
      epoch: this.epoch,
      generation: reading.generation,
      tagGeneration: this.tagGeneration,
    };
  }

  /**
   * The read is over; `entry`, what it found fresh and current, is kept unless its key
   * (or any tag, for a tagged entry) changed, or tracking was lost or regained, since
   * the read began. With `values: 'frozen'` the entry's value is frozen in place, so the
   * caller holds the same instance later hits get.
   */
  end<T>(ticket: NearTicket, entry?: CacheEntry<T>): void {
    const reading = this.reading.get(ticket.key)!;
    const unchanged = reading.generation === ticket.generation;
    if (--reading.readers === 0) this.reading.delete(ticket.key);
    if (entry === undefined || !this.tracking) return;
    const changedMeanwhile =
      !unchanged ||
      ticket.epoch !== this.epoch ||
      (entry.tagging.tags.length > 0 && ticket.tagGeneration !== this.tagGeneration);
    if (changedMeanwhile && !this.unsafeSkipInFlightCheck) return;
    const bytes = entry.storedBytes ?? 0;
    const now = Date.now();
    const expiresAtMs = Math.min(entry.freshUntilMs, now + this.settings.maxTtlSeconds * 1000);
    if (bytes > this.maxEntryBytes || expiresAtMs <= now) return;
    this.keep(ticket.key, {
      ...this.keptValue(entry.value),
      expiresAtMs,
      freshUntilMs: entry.freshUntilMs,
      loadMs: entry.loadMs,
      tags: entry.tagging.tags,
      bytes,
      used: false,
      nextRefreshCheckMs: 0,
    });
  }

  /** The instance kept, and how hits hand it out. */
  private keptValue(value: unknown): Pick<NearEntry, 'value' | 'copy'> {
    if (this.settings.values === 'frozen') return { value: freezeValue(value), copy: sameInstance };
    const kept = copyValue(value); // the caller that read it from Redis holds the original
    return { value: kept, copy: copierFor(kept) };
  }

  private keep(key: string, entry: NearEntry): void {
    const previous = this.entries.get(key);
    if (previous !== undefined) this.remove(key, previous);
    this.makeRoom(entry.bytes);
    this.entries.set(key, entry);
    this.usedBytes += entry.bytes;
    for (const tag of entry.tags) {
      let keys = this.keysByTag.get(tag);
      if (keys === undefined) this.keysByTag.set(tag, (keys = new Set()));
      keys.add(key);
    }
  }

  /**
   * CLOCK over the map's order: an entry hit since the hand last passed gets a second
   * chance (moved to the back); the first one not hit goes. At most
   * {@link MAX_SECOND_CHANCES} per eviction, so one insert never walks a whole cache of
   * entries that were all hit (the next in line goes then).
   */
  private makeRoom(bytes: number): void {
    let chances = 0;
    while (
      this.entries.size > 0 &&
      (this.entries.size >= this.settings.maxEntries ||
        this.usedBytes + bytes > this.settings.maxBytes)
    ) {
      const [key, entry] = this.entries.entries().next().value as [string, NearEntry];
      if (entry.used && chances++ < MAX_SECOND_CHANCES) {
        entry.used = false;
        this.entries.delete(key);
        this.entries.set(key, entry);
        continue;
      }
      this.remove(key, entry);
      this.count('nearEvictions', key);
      chances = 0;
    }
  }

  private remove(key: string, entry: NearEntry): void {
    this.entries.delete(key);
    this.usedBytes -= entry.bytes;
    for (const tag of entry.tags) {
      const keys = this.keysByTag.get(tag);
      keys?.delete(key);
      if (keys?.size === 0) this.keysByTag.delete(tag);
    }
  }

  /** These entries changed in Redis, or were written by this process: drop them, and void reads in flight. */
  keysChanged(keys: readonly string[]): void {
    for (const key of keys) this.drop(key);
    this.changed(keys);
  }

  private drop(key: string): void {
    const reading = this.reading.get(key);
    if (reading !== undefined) reading.generation++;
    const entry = this.entries.get(key);
    if (entry !== undefined) {
      this.remove(key, entry);
      this.count('nearInvalidations', key);
    }
  }

  /** These tags were invalidated (or their version keys touched): drop their entries, void tagged reads in flight. */
  tagsChanged(tags: readonly string[]): void {
    this.tagGeneration++;
    for (const tag of tags) {
      const keys = this.keysByTag.get(tag);
      if (keys === undefined) continue;
      for (const key of [...keys]) this.drop(key);
    }
    this.changed('all');
  }

  /**
   * A Redis call of this process timed out or couldn't be sent: invalidations may not be
   * arriving either, so drop everything and void the reads in flight. Entries are kept again
   * from the next reads that succeed. Loads in flight stay joinable: nothing changed, and
   * detaching them at every failure of an outage would multiply the loads the database sees.
   */
  redisUnreachable(): void {
    if (this.entries.size === 0 && this.reading.size === 0) return;
    const had = this.entries.size > 0;
    this.dropAll();
    if (had) this.count('nearFlushes');
  }

  /** Anything may have changed (FLUSHALL, FLUSHDB): drop everything, void every read in flight. */
  everythingChanged(): void {
    this.flush();
    this.count('nearFlushes');
  }

  /** Invalidations are delivered again (`true`) or can't be (`false`): either way nothing kept before counts. */
  trackingChanged(on: boolean): void {
    this.tracking = on;
    this.flush();
    if (!on) this.count('nearFlushes');
  }

  private flush(): void {
    this.changed('all');
    this.dropAll();
  }

  private dropAll(): void {
    this.epoch++;
    this.entries.clear();
    this.keysByTag.clear();
    this.usedBytes = 0;
  }

  state(): NearCacheState {
    return { entries: this.entries.size, bytes: this.usedBytes, tracking: this.tracking };
  }
}

/**
 * The module's near cache, told of changes by the store; none when the module has no
 * `nearCache`, caching is off, or the store can't track changes (the memory store,
 * which is in-process already).
 */
export function createNearCache(
  options: ResolvedModuleOptions,
  store: CacheStore,
  count: (counter: CacheEventName, key?: string) => void,
): NearCache | undefined {
  const settings = nearCacheSettingsOf(options.nearCache);
  if (!settings || !options.enabled || !store.trackChanges) return undefined;
  const near = new NearCache(settings, count);
  store.trackChanges(near);
  return near;
}

const sameInstance: ValueCopier = (value) => value;
