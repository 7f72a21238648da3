import { Inject, Injectable, Optional, type OnModuleDestroy } from '@nestjs/common';
import {
  CACHE_ASIDE_NAME,
  CACHE_ASIDE_OPTIONS,
  CACHE_ASIDE_STORE,
  DEFAULT_CACHE_NAME,
} from './cache-aside.constants';
import { CacheDiagnostics } from './cache-diagnostics';
import { cacheStatusContext } from './cache-status.context';
import { CacheOptionsError } from './errors/cache-options.error';
import type {
  CacheEventName,
  CacheLoadOptions,
  CacheResult,
  CacheStatsSnapshot,
  CacheStore,
  PatchOutcome,
} from './interfaces';
import { CacheInvalidator } from './invalidation/cache-invalidator';
import { CacheTelemetry } from './observability/cache-telemetry';
import { normalizeCacheKey } from './keys';
import { STATUS_COUNTER } from './read-path/cache-counters';
import { EntryAccess, isWrongType } from './read-path/entry-access';
import { ReadPolicies } from './read-path/read-policy';
import { LoadContext } from './read-path/load-context';
import { ReadThrough, type Loader } from './read-path/read-through';
import { createNearCache, type NearCache } from './near-cache/near-cache';
import { type ResolvedModuleOptions } from './resolve-module-options';
import {
  decodeHeader,
  decodeProperties,
  HEADER_FIELD,
  PROPERTY_FIELD_PREFIX,
  type CacheStorage,
} from './serialization/cache-entry';

/**
 * What an app injects: cached reads (`getOrLoad`), writes and evictions. A facade: the
 * read algorithm is in read-path/read-through.ts, every invalidation in
 * invalidation/cache-invalidator.ts; decorators only translate method calls into calls
 * of this service.
 */
@Injectable()
export class CacheAsideService implements OnModuleDestroy {
  private readonly diagnostics: CacheDiagnostics;
  private readonly policies: ReadPolicies;
  private readonly entries: EntryAccess;
  private readonly invalidator: CacheInvalidator;
  private readonly reads: ReadThrough;
  private readonly near?: NearCache;

  constructor(
    @Inject(CACHE_ASIDE_OPTIONS) private readonly options: ResolvedModuleOptions,
    @Inject(CACHE_ASIDE_STORE) private readonly store: CacheStore,
    @Optional() @Inject(CACHE_ASIDE_NAME) cacheName: string = DEFAULT_CACHE_NAME,
  ) {
    this.diagnostics = new CacheDiagnostics(new CacheTelemetry(cacheName));
    this.near = createNearCache(options, store, (counter, key) =>
      this.diagnostics.count(counter, key),
    );
    this.policies = new ReadPolicies(options, this.near?.byDefault);
    this.entries = new EntryAccess(options, store, this.diagnostics);
    this.invalidator = new CacheInvalidator(options, store, this.entries, this.diagnostics);
    this.reads = new ReadThrough(
      options,
      store,
      this.entries,
      this.invalidator,
      this.diagnostics,
      this.near,
    );
    this.invalidator.onEvicted((keys, tags) => this.reads.forget(keys, tags));
    // A call that timed out or couldn't be sent: whatever keeps Redis from answering may
    // keep its invalidations from arriving too, long before the tracking heartbeat says so
    // (a frozen server, a cut link), while another process's eviction fails and is queued.
    this.diagnostics.onRedisFailed((kind) => {
      if (kind === 'timeout' || kind === 'unavailable') this.near?.redisUnreachable();
    });
    store.onHealthy((operation) => this.diagnostics.redisAnswered(operation));
  }

  get enabled(): boolean {
    return this.options.enabled;
  }

  /**
   * The cache-aside read: Redis first; on a miss one caller fleet-wide runs `loader` and
   * fills. The loader gets its load's context (`(load) => ...`) to choose this result's
   * TTL (`load.setTtlSeconds`), add tags (`load.addTags`) or not cache it (`load.skipCache`).
   */
  async getOrLoad<T>(key: string, loader: Loader<T>, options?: CacheLoadOptions<T>): Promise<T> {
    return (await this.getOrLoadWithStatus(key, loader, options)).value;
  }

  /** `getOrLoad`, also telling how the value was served (for an `X-Cache` header, say). */
  async getOrLoadWithStatus<T>(
    key: string,
    loader: Loader<T>,
    options?: CacheLoadOptions<T>,
  ): Promise<CacheResult<T>> {
    if (!this.options.enabled) {
      cacheStatusContext.record('BYPASS');
      // the loader's decisions about caching have nothing to act on: caching is off
      return { value: await loader(new LoadContext(key)), status: 'BYPASS' };
    }
    const logicalKey = normalizeCacheKey(key);
    const policy = this.policies.for(options);
    const result = await this.diagnostics.telemetry.read(logicalKey, () =>
      options?.stampedeProtection === false
        ? this.reads.readUnprotected(logicalKey, loader, policy)
        : this.reads.read(logicalKey, loader, policy),
    );
    this.diagnostics.count(STATUS_COUNTER[result.status]);
    cacheStatusContext.record(result.status, result.source);
    return result;
  }

  /** The fresh, current cached value, or undefined (missing, stale, corrupt, invalidated, or Redis unavailable). */
  async get<T>(key: string): Promise<T | undefined> {
    if (!this.options.enabled || !(await this.invalidator.settle())) return undefined;
    const entry = await this.entries.read<T>(normalizeCacheKey(key), 'string');
    if (!entry || entry === 'unavailable' || Date.now() >= entry.freshUntilMs) return undefined;
    return (await this.entries.isCurrent(entry)) === true ? entry.value : undefined;
  }

  /**
   * Writes a value with a TTL in seconds, cancelling any load of the key in flight (so
   * an older load can't overwrite it). `tags`: the tags the entry belongs to, as with
   * `getOrLoad`. Resolves false when Redis didn't take it.
   */
  async set<T>(
    key: string,
    value: T,
    ttlSeconds?: number,
    { storage = 'string', tags }: { storage?: CacheStorage; tags?: string[] } = {},
  ): Promise<boolean> {
    if (!this.options.enabled) return false;
    const policy =
      ttlSeconds === undefined && tags === undefined
        ? this.policies.for(undefined)
        : this.policies.build({ ttlSeconds, tags });
    return this.invalidator.set(normalizeCacheKey(key), value, policy, storage);
  }

  /**
   * Deletes entries with their leases: a load that started before this call can't
   * write its (older) value back, and no call that starts after it resolved gets the
   * old value, from Redis or from a load this process already had in flight. Resolves
   * once Redis has done it; false if it couldn't (it is then retried as soon as Redis
   * answers, and this process doesn't trust the cache until it has been).
   */
  async del(...keys: string[]): Promise<boolean> {
    if (!this.options.enabled || keys.length === 0) return true;
    return this.invalidator.del([...new Set(keys.map(normalizeCacheKey))]);
  }

  /**
   * Sets named fields of a cached hash entry (`storage: 'hash'`), or paths inside a
   * RedisJSON entry (`storage: 'json'`: `{ 'price.amount': 12 }`), in place, in one
   * atomic step: only if the entry exists (a patch never creates a half entry), TTL
   * kept, and any load of the key in flight loses its lease, so an older fill can't
   * overwrite the patch. A property set to `undefined` is removed. An entry that can't
   * be patched in place (string storage; a nested path of a hash entry) is evicted instead.
   *
   * `version` names a property of `changes` holding the entity's version, a number that
   * grows with every write of it (a TypeORM `@VersionColumn`): the patch then applies only
   * over an older version ('outdated' otherwise, entry left as is), so two writers whose
   * patches reach Redis in the other order than their writes reached the database can't
   * leave the older one cached. A hash entry without a readable version is evicted; so is
   * a JSON entry (its script doesn't compare versions).
   */
  async patch(
    key: string,
    changes: Record<string, unknown>,
    { version }: { version?: string } = {},
  ): Promise<PatchOutcome | 'unavailable'> {
    if (!this.options.enabled) return 'unavailable';
    return this.invalidator.patch(normalizeCacheKey(key), changes, version);
  }

  /**
   * Some properties of a fresh hash entry, without reading the rest (HMGET); only
   * the properties the entry has are present. Undefined when there is no fresh, current entry.
   */
  async getFields<T extends object>(
    key: string,
    properties: (keyof T & string)[],
  ): Promise<Partial<T> | undefined> {
    if (!this.options.enabled || !(await this.invalidator.settle())) return undefined;
    const logicalKey = normalizeCacheKey(key);
    try {
      const found = await this.store.readFields(
        logicalKey,
        properties.map((name) => PROPERTY_FIELD_PREFIX + name),
      );
      if (!found) return undefined;
      const { freshUntilMs, tagging } = decodeHeader(found[HEADER_FIELD]);
      if (Date.now() >= freshUntilMs) return undefined;
      const current = await this.entries.isCurrent({ tagging });
      return current === true ? (decodeProperties(found) as Partial<T>) : undefined;
    } catch (error) {
      if (isWrongType(error)) return undefined;
      if ((error as { code?: string }).code === 'CACHE_CORRUPT_ENTRY') {
        this.diagnostics.count('corruptEntries', logicalKey);
        return undefined;
      }
      this.diagnostics.redisFailed('get-fields', error);
      return undefined;
    }
  }

  /**
   * Invalidates every entry of these tags, in O(1) per tag however many entries it has
   * (no keyspace scan, Redis Cluster safe): from the moment this resolves, no call in
   * any process gets an entry of the tag loaded before it, including loads already in
   * flight. False if Redis couldn't do it (retried as soon as Redis answers).
   */
  async invalidateTags(...tags: string[]): Promise<boolean> {
    if (!this.options.enabled || tags.length === 0) return true;
    return this.invalidator.invalidateTags([...new Set(tags.map(normalizeCacheKey))]);
  }

  /**
   * Invalidates every entry this module wrote under its prefix (module option
   * `trackAllKeys`, which tags every entry), never by scanning the keyspace. Loads in
   * flight can't fill.
   */
  async evictAll(): Promise<boolean> {
    if (!this.options.trackAllKeys) {
      throw new CacheOptionsError('evictAll() needs the module option trackAllKeys: true');
    }
    if (!this.options.enabled) return true;
    return this.invalidator.evictAll();
  }

  /** Whether Redis answers now (a PING through the circuit breaker and timeout). */
  async isAvailable(): Promise<boolean> {
    if (!this.options.enabled) return false;
    try {
      await this.store.ping();
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Whether every eviction that failed while Redis was unreachable has been applied
   * (trying now, as the next read would): until then reads bypass the cache. For
   * health checks, with `isAvailable()`.
   */
  async isTrusted(): Promise<boolean> {
    return this.invalidator.settle();
  }

  /** Seconds the entry stays fresh (fractional), 0 when stale within grace, -2 when absent or invalidated. */
  async ttl(key: string): Promise<number> {
    if (!this.options.enabled) return -2;
    const entry = await this.entries.read(normalizeCacheKey(key), 'string');
    if (!entry || entry === 'unavailable' || (await this.entries.isCurrent(entry)) !== true) {
      return -2;
    }
    return Math.max(0, entry.freshUntilMs - Date.now()) / 1000;
  }

  /** Counters since start (or `resetStats()`), and the state of Redis as this process sees it. */
  stats(): CacheStatsSnapshot {
    const { lastRedisError, redisFailingSince, writesRefusedSince } = this.diagnostics;
    return {
      ...this.diagnostics.counters.snapshot(),
      lastRedisError,
      redisFailingSince,
      writesRefusedSince,
      pendingEvictions: this.invalidator.pendingCount,
      near: this.near?.state() ?? null,
    };
  }

  resetStats(): void {
    this.diagnostics.counters.reset();
  }

  /** Subscribes to one counter's events; the listener gets the logical key. */
  on(event: CacheEventName, listener: (key: string) => void): () => void {
    return this.diagnostics.counters.on(event, listener);
  }

  /**
   * Applies the evictions still queued before the connection closes (it closes at
   * application shutdown, after this): up to twice the circuit's open time, so a circuit
   * opened by the outage gets to probe Redis again.
   */
  async onModuleDestroy(): Promise<void> {
    if (this.options.enabled) {
      await this.invalidator.drain(Math.max(2000, 2 * this.options.breakerOpenMs));
    }
    this.invalidator.close();
    this.diagnostics.close();
  }
}
