import { Inject, Injectable, Logger } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { CACHE_ASIDE_OPTIONS, CACHE_ASIDE_STORE } from './cache-aside.constants';
import { cacheStatusContext } from './cache-status.context';
import { CacheLoadFailedError } from './errors/cache-load-failed.error';
import { CacheOptionsError } from './errors/cache-options.error';
import type {
  CacheEventName,
  CacheLoadOptions,
  CacheResult,
  CacheStats,
  CacheStore,
  LeaseReply,
  PatchOutcome,
} from './interfaces';
import { normalizeCacheKey } from './keys';
import { type ResolvedModuleOptions } from './resolve-module-options';
import { CacheCounters, STATUS_COUNTER } from './read-path/cache-counters';
import { PendingEvictions } from './read-path/pending-evictions';
import {
  ALL_ENTRIES_TAG,
  entryTtlMsOf,
  freshMsOf,
  ReadPolicies,
  type ReadPolicy,
} from './read-path/read-policy';
import { SettleWaiters } from './read-path/settle-waiters';
import { Semaphore } from './read-path/semaphore';
import { SingleFlight } from './read-path/single-flight';
import {
  decodeEntry,
  decodeHeader,
  decodeProperties,
  encodeEntryAs,
  encodePatch,
  HEADER_FIELD,
  patchVersionOf,
  PROPERTY_FIELD_PREFIX,
  storedSize,
  type CacheEntry,
  type CacheStorage,
  type StoredEntry,
} from './serialization/cache-entry';
import { encodeJsonPatch } from './serialization/json-document';

type Loader<T> = () => T | Promise<T>;

/** Keys deleted per round trip when a tag is invalidated. */
const INVALIDATION_BATCH = 500;

/**
 * The cache-aside read path: single-flight in the process, a lease in Redis so one
 * caller in the fleet loads, compare-and-set fills, notified waiters, early refresh
 * (XFetch) and grace. Decorators only translate method calls into calls of this service.
 */
@Injectable()
export class CacheAsideService {
  private readonly logger = new Logger('CacheAside');
  private readonly reads = new SingleFlight<CacheResult<unknown>>();
  private readonly refreshing = new Set<string>();
  private readonly waiters = new SettleWaiters();
  private readonly counters = new CacheCounters();
  private readonly loggedOnce = new Set<string>();
  private readonly policies: ReadPolicies;
  private readonly pending: PendingEvictions;
  private flushing?: Promise<boolean>;
  private readonly loadsWithoutRedis: Semaphore;

  constructor(
    @Inject(CACHE_ASIDE_OPTIONS) private readonly options: ResolvedModuleOptions,
    @Inject(CACHE_ASIDE_STORE) private readonly store: CacheStore,
  ) {
    this.policies = new ReadPolicies(options);
    store.onSettled((key) => this.waiters.wake(key));
    store.onAvailable(() => void this.cacheIsTrustworthy());
    this.pending = new PendingEvictions(options.maxPendingEvictions);
    this.loadsWithoutRedis = new Semaphore(options.maxConcurrentLoadsWithoutRedis);
  }

  get enabled(): boolean {
    return this.options.enabled;
  }

  /** The cache-aside read: Redis first; on a miss one caller fleet-wide runs `loader` and fills. */
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
      return { value: await loader(), status: 'BYPASS' };
    }
    const logicalKey = normalizeCacheKey(key);
    const policy = this.policies.for(options);
    const result = (
      options?.stampedeProtection === false
        ? await this.readUnprotected(logicalKey, loader, policy)
        : await this.reads.run(logicalKey, () => this.readThrough(logicalKey, loader, policy))
    ) as CacheResult<T>;
    this.count(STATUS_COUNTER[result.status]);
    cacheStatusContext.record(result.status);
    return result;
  }

  /** The fresh cached value, or undefined (missing, stale, corrupt, or Redis unavailable). */
  async get<T>(key: string): Promise<T | undefined> {
    if (!this.options.enabled || !(await this.cacheIsTrustworthy())) return undefined;
    const logicalKey = normalizeCacheKey(key);
    const entry = await this.readEntry<T>(logicalKey, 'string');
    return entry && entry !== 'unavailable' && Date.now() < entry.freshUntilMs
      ? entry.value
      : undefined;
  }

  /**
   * Writes a value with a TTL in seconds, cancelling any load of the key in flight
   * (so an older load can't overwrite it). Resolves false when Redis didn't take it.
   */
  async set<T>(
    key: string,
    value: T,
    ttlSeconds?: number,
    { storage = 'string' }: { storage?: CacheStorage } = {},
  ): Promise<boolean> {
    if (!this.options.enabled) return false;
    const logicalKey = normalizeCacheKey(key);
    const policy =
      ttlSeconds === undefined ? this.policies.for(undefined) : this.policies.build({ ttlSeconds });
    const freshMs = freshMsOf(policy.ttlMs, policy);
    const encoded = this.encodeForStore(logicalKey, value, freshMs, 0, storage);
    if (encoded === undefined) return false;
    try {
      const entryTtlMs = entryTtlMsOf(freshMs, policy);
      if (policy.tags.length > 0) {
        await this.store.joinTags([...policy.tags], logicalKey, Date.now() + entryTtlMs);
      }
      await this.store.write(logicalKey, encoded, entryTtlMs);
      return true;
    } catch (error) {
      this.redisFailed('set', error);
      this.pending.addKeys([logicalKey]); // the older value may still be there
      return false;
    }
  }

  /**
   * Deletes entries with their leases: a load that started before this call can't
   * write its (older) value back. Resolves once Redis has done it; false if it couldn't.
   */
  async del(...keys: string[]): Promise<boolean> {
    if (!this.options.enabled || keys.length === 0) return true;
    const logicalKeys = [...new Set(keys.map(normalizeCacheKey))];
    try {
      await this.store.evict(logicalKeys);
      return true;
    } catch (error) {
      this.redisFailed('del', error);
      this.pending.addKeys(logicalKeys);
      return false;
    }
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
    const logicalKey = normalizeCacheKey(key);
    const nested = Object.keys(changes).some((name) => name.includes('.'));
    const fields = nested ? undefined : this.encodeChanges(logicalKey, () => encodePatch(changes));
    const patchVersion =
      version === undefined
        ? undefined
        : this.encodeChanges(logicalKey, () => patchVersionOf(changes, version));
    try {
      if (fields === null || patchVersion === null) {
        return (await this.del(logicalKey)) ? 'evicted' : 'unavailable';
      }
      const outcome =
        fields && (await this.store.patch(logicalKey, fields.set, fields.remove, patchVersion));
      if (outcome !== undefined && outcome !== 'json-document') return outcome;
      if (patchVersion) return (await this.del(logicalKey)) ? 'evicted' : 'unavailable';
      const paths = this.encodeChanges(logicalKey, () => encodeJsonPatch(changes));
      if (paths === null) return (await this.del(logicalKey)) ? 'evicted' : 'unavailable';
      return await this.store.patchJson(logicalKey, paths);
    } catch (error) {
      this.redisFailed('patch', error);
      this.pending.addKeys([logicalKey]); // the entry may still hold the old fields
      return 'unavailable';
    }
  }

  /** The encoded changes, or null when they can't be cached (so the old entry must go). */
  private encodeChanges<E>(key: string, encode: () => E): E | null {
    try {
      return encode();
    } catch (error) {
      this.logOnce(`encode:${key}`, `Evicting "${key}": ${(error as Error).message}`);
      return null;
    }
  }

  /**
   * Some properties of a fresh hash entry, without reading the rest (HMGET); only
   * the properties the entry has are present. Undefined when there is no fresh entry.
   */
  async getFields<T extends object>(
    key: string,
    properties: (keyof T & string)[],
  ): Promise<Partial<T> | undefined> {
    if (!this.options.enabled || !(await this.cacheIsTrustworthy())) return undefined;
    const logicalKey = normalizeCacheKey(key);
    try {
      const found = await this.store.readFields(
        logicalKey,
        properties.map((name) => PROPERTY_FIELD_PREFIX + name),
      );
      if (!found) return undefined;
      const { freshUntilMs } = decodeHeader(found[HEADER_FIELD]);
      return Date.now() < freshUntilMs ? (decodeProperties(found) as Partial<T>) : undefined;
    } catch (error) {
      if (isWrongType(error)) return undefined;
      if ((error as { code?: string }).code === 'CACHE_CORRUPT_ENTRY') {
        this.count('corruptEntries', logicalKey);
        return undefined;
      }
      this.redisFailed('get-fields', error);
      return undefined;
    }
  }

  /**
   * Deletes every entry of these tags, with their leases: O(entries in the tag), no
   * keyspace scan, each key deleted in its own slot (Redis Cluster safe). Loads of
   * tagged entries that began before this call can't fill. False if Redis couldn't do it.
   */
  async invalidateTags(...tags: string[]): Promise<boolean> {
    if (!this.options.enabled || tags.length === 0) return true;
    const logicalTags = [...new Set(tags.map(normalizeCacheKey))];
    try {
      await this.evictTags(logicalTags);
      return true;
    } catch (error) {
      this.redisFailed('invalidate-tags', error);
      this.pending.addTags(logicalTags);
      return false;
    }
  }

  private async evictTags(tags: string[]): Promise<void> {
    await this.store.tagSequence('bump');
    for (const tag of tags) {
      const members = await this.store.tagMembers(tag);
      for (let i = 0; i < members.length; i += INVALIDATION_BATCH) {
        const batch = members.slice(i, i + INVALIDATION_BATCH);
        await this.store.evict(batch);
        await this.store.leaveTag(tag, batch);
      }
    }
  }

  /**
   * Cached reads are trusted only once every eviction that failed during an outage
   * has been applied: otherwise the first read after recovery could return a value
   * whose eviction was lost.
   */
  private async cacheIsTrustworthy(): Promise<boolean> {
    if (this.pending.isEmpty) return true;
    this.flushing ??= this.applyPendingEvictions().finally(() => (this.flushing = undefined));
    return this.flushing;
  }

  private async applyPendingEvictions(): Promise<boolean> {
    const { keys, tags } = this.pending.take();
    try {
      for (let i = 0; i < keys.length; i += INVALIDATION_BATCH) {
        await this.store.evict(keys.slice(i, i + INVALIDATION_BATCH));
      }
      if (tags.length > 0) await this.evictTags(tags);
      this.logger.log(
        `Applied ${keys.length + tags.length} eviction(s) that failed while Redis was unreachable`,
      );
      return this.pending.isEmpty;
    } catch (error) {
      this.pending.addKeys(keys);
      this.pending.addTags(tags);
      this.redisFailed('pending-evictions', error);
      return false;
    }
  }

  /**
   * Deletes every entry this module wrote under its prefix, by bookkeeping (module
   * option `trackAllKeys`), never by scanning the keyspace. Loads in flight can't fill.
   */
  async evictAll(): Promise<boolean> {
    if (!this.options.trackAllKeys) {
      throw new CacheOptionsError('evictAll() needs the module option trackAllKeys: true');
    }
    if (!this.options.enabled) return true;
    try {
      await this.evictTags([ALL_ENTRIES_TAG]);
      return true;
    } catch (error) {
      this.redisFailed('evict-all', error);
      this.pending.addTags([ALL_ENTRIES_TAG]);
      return false;
    }
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
    return this.cacheIsTrustworthy();
  }

  /** Seconds the entry stays fresh (fractional), 0 when stale within grace, -2 when absent. */
  async ttl(key: string): Promise<number> {
    if (!this.options.enabled) return -2;
    const entry = await this.readEntry(normalizeCacheKey(key), 'string');
    if (!entry || entry === 'unavailable') return -2;
    return Math.max(0, entry.freshUntilMs - Date.now()) / 1000;
  }

  stats(): CacheStats {
    return this.counters.snapshot();
  }

  resetStats(): void {
    this.counters.reset();
  }

  /** Subscribes to one counter's events; the listener gets the logical key. */
  on(event: CacheEventName, listener: (key: string) => void): () => void {
    return this.counters.on(event, listener);
  }

  private async readThrough<T>(
    key: string,
    loader: Loader<T>,
    policy: ReadPolicy,
  ): Promise<CacheResult<T>> {
    if (!this.pending.isEmpty && !(await this.cacheIsTrustworthy())) {
      return this.bypass(key, loader);
    }
    const entry = await this.readEntry<T>(key, policy.storage);
    if (entry === 'unavailable') return this.bypass(key, loader);
    const now = Date.now();
    if (entry && now < entry.freshUntilMs) {
      if (this.shouldRefreshEarly(entry, now, policy))
        this.refreshInBackground(key, loader, policy, entry);
      return { value: entry.value, status: 'HIT' };
    }
    return this.loadUnderLease(key, loader, policy, entry);
  }

  /** `stampedeProtection: false`: get, and on a miss load and set; no flight, no lease. */
  private async readUnprotected<T>(
    key: string,
    loader: Loader<T>,
    policy: ReadPolicy,
  ): Promise<CacheResult<T>> {
    const entry = await this.readEntry<T>(key, policy.storage);
    if (entry === 'unavailable') return this.bypass(key, loader);
    if (entry && Date.now() < entry.freshUntilMs) return { value: entry.value, status: 'HIT' };
    const value = await this.runLoader(key, loader);
    const freshMs = freshMsOf(policy.ttlMs, policy);
    const encoded = this.encodeForStore(key, value, freshMs, 0, policy.storage);
    if (encoded !== undefined) {
      await this.store
        .write(key, encoded, entryTtlMsOf(freshMs, policy))
        .catch((error) => this.redisFailed('set', error));
    }
    return { value, status: 'MISS' };
  }

  /**
   * Miss or stale: take the lease and load, or wait for whoever holds it. Loops
   * because a wait ends in a fresh entry, a lease to take over, or a failure.
   */
  private async loadUnderLease<T>(
    key: string,
    loader: Loader<T>,
    policy: ReadPolicy,
    staleEntry: CacheEntry<T> | undefined,
  ): Promise<CacheResult<T>> {
    const deadline = Date.now() + this.options.lockWaitTimeoutMs;
    let waitingSinceMs: number | undefined;
    let stale = staleEntry;
    let replacedCorrupt = false;
    for (;;) {
      const token = randomBytes(12).toString('base64url');
      let reply: LeaseReply;
      try {
        reply = await this.store.readOrLease(key, {
          token,
          leaseTtlMs: this.options.leaseTtlMs,
          nowMs: Date.now(),
          waitingSinceMs,
          mayServeStale: policy.graceMs > 0,
        });
      } catch (error) {
        this.redisFailed('read-or-lease', error);
        return this.bypass(key, loader);
      }
      const current = this.decodeStale<T>(key, reply.entry, policy);
      stale = current ?? stale;
      switch (reply.state) {
        case 'FRESH':
          if (current) return { value: current.value, status: 'HIT' };
          // fresh-looking but undecodable: delete it and take the lease like any miss
          if (replacedCorrupt || !(await this.del(key))) return this.bypass(key, loader);
          replacedCorrupt = true;
          break;
        case 'BACKOFF':
          if (stale) return this.serveStale(key, stale);
          break;
        case 'GRANTED':
          if (waitingSinceMs !== undefined) this.count('leaseTakeovers', key);
          if (stale && policy.graceMs > 0) {
            this.runLoad(key, token, loader, policy).catch(() => undefined);
            this.count('refreshes', key);
            return this.serveStale(key, stale);
          }
          return this.loadAndFill(key, token, loader, policy, stale);
        case 'FAILED':
          if (stale && policy.graceMs > 0) return this.serveStale(key, stale);
          throw new CacheLoadFailedError(key, reply.failure.slice(reply.failure.indexOf('|') + 1));
        case 'HELD': {
          if (stale && policy.graceMs > 0) return this.serveStale(key, stale);
          const now = Date.now();
          if (now >= deadline) {
            // The holder is alive (it keeps extending) but slow: load without the lease,
            // and don't write, since only the lease holder's fill is race-free.
            this.count('leaseWaitTimeouts', key);
            return { value: await this.runLoader(key, loader), status: 'MISS' };
          }
          if (waitingSinceMs === undefined) {
            waitingSinceMs = now;
            this.count('leaseWaits', key);
          }
          await this.waiters.wait(key, Math.min(reply.leaseTtlMs + 10, deadline - now));
          break;
        }
      }
    }
  }

  /** The lease holder's load: run the loader, fill if the lease still holds. */
  private async loadAndFill<T>(
    key: string,
    token: string,
    loader: Loader<T>,
    policy: ReadPolicy,
    stale: CacheEntry<T> | undefined,
  ): Promise<CacheResult<T>> {
    try {
      return { value: await this.runLoad(key, token, loader, policy), status: 'MISS' };
    } catch (error) {
      if (stale && policy.graceMs > 0) return this.serveStale(key, stale);
      throw error;
    }
  }

  private async runLoad<T>(
    key: string,
    token: string,
    loader: Loader<T>,
    policy: ReadPolicy,
  ): Promise<T> {
    const tagging = await this.prepareTags(key, policy);
    const keepAlive = setInterval(
      () => {
        this.store
          .extendLease(key, token, this.options.leaseTtlMs)
          .catch((error) => this.redisFailed('extend-lease', error));
      },
      Math.max(50, Math.floor(this.options.leaseTtlMs / 3)),
    );
    keepAlive.unref();
    const started = performance.now();
    let value: T;
    try {
      value = await this.runLoader(key, loader);
    } catch (error) {
      clearInterval(keepAlive);
      const message = error instanceof Error ? error.message : String(error);
      await this.store
        .release(key, token, {
          record: `${Date.now()}|${message.slice(0, 500)}`,
          ttlMs: this.options.failureBackoffMs,
        })
        .catch((releaseError) => this.redisFailed('release-lease', releaseError));
      throw error;
    }
    clearInterval(keepAlive);
    const loadMs = performance.now() - started;
    const freshMs = freshMsOf(
      policy.isNotFound(value) ? policy.notFoundTtlMs : policy.ttlMs,
      policy,
    );
    const entryTtlMs = entryTtlMsOf(freshMs, policy);
    let encoded =
      tagging !== 'untracked' && policy.shouldCache(value)
        ? this.encodeForStore(key, value, freshMs, loadMs, policy.storage)
        : undefined;
    if (encoded !== undefined && typeof tagging === 'object') {
      if (!(await this.tagsFromResult(key, value, policy, tagging, entryTtlMs))) {
        this.count('rejectedFills', key);
        encoded = undefined;
      }
    }
    try {
      if (encoded === undefined) {
        await this.store.release(key, token);
      } else if (!(await this.store.fill(key, token, encoded, entryTtlMs))) {
        this.count('rejectedFills', key);
      } else if (policy.tags.length > 0 && loadMs > this.options.lockWaitTimeoutMs) {
        // the load outlasted the expiry its tags were joined with: raise it
        await this.store.joinTags([...policy.tags], key, Date.now() + entryTtlMs);
      }
    } catch (error) {
      this.redisFailed('fill', error);
    }
    return value;
  }

  /**
   * Tags known before the load join their tag sets now, before the loader reads the
   * database: an invalidation from here on finds this key and kills its lease. For
   * tags taken from the result, note the invalidation sequence instead. 'untracked':
   * Redis didn't take the tags, so the result must not be cached.
   */
  private async prepareTags(
    key: string,
    policy: ReadPolicy,
  ): Promise<'ready' | 'untracked' | { sequence: number }> {
    try {
      if (policy.tags.length > 0) {
        const latestExpiry =
          Date.now() +
          this.options.lockWaitTimeoutMs +
          policy.ttlMs * (1 + policy.jitter) +
          policy.graceMs;
        await this.store.joinTags([...policy.tags], key, Math.ceil(latestExpiry));
      }
      if (policy.tagsFromResult) return { sequence: await this.store.tagSequence('read') };
      return 'ready';
    } catch (error) {
      this.redisFailed('join-tag', error);
      return 'untracked';
    }
  }

  /**
   * Joins the tags taken from the loaded value, then checks that no tag was
   * invalidated since the load began (an invalidation from then on would have found
   * this key). False: don't fill.
   */
  private async tagsFromResult(
    key: string,
    value: unknown,
    policy: ReadPolicy,
    tagging: { sequence: number },
    entryTtlMs: number,
  ): Promise<boolean> {
    try {
      const tags = [...new Set(policy.tagsFromResult!(value).map(normalizeCacheKey))];
      if (tags.length > 0) await this.store.joinTags(tags, key, Date.now() + entryTtlMs);
      return (await this.store.tagSequence('read')) === tagging.sequence;
    } catch (error) {
      this.redisFailed('join-tag', error);
      return false;
    }
  }

  private async runLoader<T>(key: string, loader: Loader<T>): Promise<T> {
    this.count('loads', key);
    const request = cacheStatusContext.active();
    const started = request ? performance.now() : 0;
    try {
      return await loader();
    } catch (error) {
      this.count('loadErrors', key);
      throw error;
    } finally {
      if (request) request.loadMs += performance.now() - started;
    }
  }

  /**
   * Redis is unavailable: the loader answers. Single-flight still holds per key, and
   * the number of loads at once is capped, so the database sees a bounded load.
   */
  private async bypass<T>(key: string, loader: Loader<T>): Promise<CacheResult<T>> {
    const value = await this.loadsWithoutRedis.run(() => this.runLoader(key, loader));
    return { value, status: 'BYPASS' };
  }

  private serveStale<T>(key: string, stale: CacheEntry<T>): CacheResult<T> {
    return { value: stale.value, status: 'STALE' };
  }

  /** XFetch: refresh with probability rising as expiry nears, scaled by the load time. */
  private shouldRefreshEarly(entry: CacheEntry, now: number, policy: ReadPolicy): boolean {
    if (policy.beta <= 0 || entry.loadMs <= 0) return false;
    return now - entry.loadMs * policy.beta * Math.log(Math.random()) >= entry.freshUntilMs;
  }

  private refreshInBackground<T>(
    key: string,
    loader: Loader<T>,
    policy: ReadPolicy,
    current: CacheEntry<T>,
  ): void {
    if (this.refreshing.has(key)) return;
    this.refreshing.add(key);
    const token = randomBytes(12).toString('base64url');
    this.store
      .readOrLease(key, {
        token,
        leaseTtlMs: this.options.leaseTtlMs,
        nowMs: Date.now(),
        refreshFreshUntil: current.freshUntilMs,
        mayServeStale: false,
      })
      .then(async (reply) => {
        if (reply.state !== 'GRANTED') return;
        this.count('refreshes', key);
        await this.runLoad(key, token, loader, policy);
      })
      .catch((error) => {
        if (isCacheInfrastructureError(error)) this.redisFailed('refresh', error);
        else this.logOnce(`refresh:${key}`, `Early refresh of "${key}" failed: ${String(error)}`);
      })
      .finally(() => this.refreshing.delete(key));
  }

  /**
   * The hit path: one GET (HGETALL for hash entries, JSON.GET for JSON ones). An entry
   * of another kind (the storage of a key changed between deploys) is read that way
   * once, then replaced by the next fill; a key of a type we never write is a miss.
   */
  private async readEntry<T>(
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
        this.redisFailed('get', error);
        return 'unavailable';
      }
      const next = this.storagesOnServer().find(
        (other) => other !== kind && !tried.includes(other),
      );
      if (next !== undefined) return this.readEntry(key, next, [...tried, kind]);
      this.count('corruptEntries', key);
      return undefined;
    }
    return stored === null ? undefined : this.decodeOrReport<T>(key, stored);
  }

  /**
   * 'json' needs RedisJSON: until a connection has told, and on a server without it,
   * such entries are kept as hashes (top-level patches still apply in place; a patch of
   * a nested path evicts the entry).
   */
  private storageOnServer(storage: CacheStorage): CacheStorage {
    if (storage !== 'json') return storage;
    const supported = this.store.supportsJson();
    if (supported) return 'json';
    if (supported === false) {
      this.logOnce(
        'json-module',
        "storage 'json' needs RedisJSON, which this Redis doesn't have: such entries are kept as hashes (patches of nested paths evict them)",
      );
    }
    return 'hash';
  }

  private storagesOnServer(): CacheStorage[] {
    return this.store.supportsJson() ? ['string', 'hash', 'json'] : ['string', 'hash'];
  }

  private decodeStale<T>(
    key: string,
    stored: StoredEntry | null,
    policy: ReadPolicy,
  ): CacheEntry<T> | undefined {
    if (stored === null) return undefined;
    const entry = this.decodeOrReport<T>(key, stored);
    if (!entry) return undefined;
    // Past fresh-until the entry is only usable with grace (Redis drops it at ttl + grace).
    return policy.graceMs > 0 || Date.now() < entry.freshUntilMs ? entry : undefined;
  }

  private decodeOrReport<T>(key: string, stored: StoredEntry): CacheEntry<T> | undefined {
    try {
      return decodeEntry<T>(stored);
    } catch (error) {
      this.count('corruptEntries', key);
      this.logOnce(
        `corrupt:${key}`,
        `Ignoring a corrupt or foreign entry under "${key}" (${(error as Error).message}); it will be replaced`,
      );
      return undefined;
    }
  }

  private encodeForStore(
    key: string,
    value: unknown,
    freshMs: number,
    loadMs: number,
    storage: CacheStorage,
  ): StoredEntry | undefined {
    let encoded: StoredEntry;
    try {
      encoded = encodeEntryAs(this.storageOnServer(storage), value, Date.now() + freshMs, loadMs);
    } catch (error) {
      this.count('uncacheableValues', key);
      this.logOnce(`encode:${key}`, `Not caching "${key}": ${(error as Error).message}`);
      return undefined;
    }
    const size = storedSize(encoded);
    if (size > this.options.maxValueBytes) {
      this.count('uncacheableValues', key);
      this.logOnce(
        `size:${key}`,
        `Not caching "${key}": ${size} bytes is over maxValueBytes (${this.options.maxValueBytes})`,
      );
      return undefined;
    }
    return encoded;
  }

  private redisFailed(operation: string, error: unknown): void {
    this.count('redisErrors', operation);
    this.logOnce(
      `redis:${operation}`,
      `Redis ${operation} failed: ${(error as Error)?.message ?? error}`,
    );
  }

  private count(counter: CacheEventName, key = ''): void {
    this.counters.count(counter, key);
  }

  private logOnce(id: string, message: string): void {
    if (this.loggedOnce.has(id)) return;
    if (this.loggedOnce.size > 10_000) this.loggedOnce.clear();
    this.loggedOnce.add(id);
    this.logger.warn(message);
  }
}

function isWrongType(error: unknown): boolean {
  return (error as Error)?.message?.startsWith('WRONGTYPE') ?? false;
}

function isCacheInfrastructureError(error: unknown): boolean {
  return (error as { code?: string })?.code?.startsWith('CACHE_REDIS') ?? false;
}
