import type { CacheDiagnostics } from '../cache-diagnostics';
import { cacheStatusContext } from '../cache-status.context';
import { CacheLoadFailedError } from '../errors/cache-load-failed.error';
import { CacheLoadTimeoutError } from '../errors/cache-load-timeout.error';
import type {
  CacheHitSource,
  CacheLoadContext,
  CacheResult,
  CacheStore,
  LeaseReply,
} from '../interfaces';
import type { ResolvedModuleOptions } from '../resolve-module-options';
import type { CacheEntry } from '../serialization/cache-entry';
import { NearAnswers } from '../near-cache/near-answers';
import type { NearCache } from '../near-cache/near-cache';
import type { EntryAccess } from './entry-access';
import { FillTags } from './fill-tags';
import { nextLeaseToken } from './lease-tokens';
import { LoadContext } from './load-context';
import { entryTtlMsOf, freshMsOf, type ReadPolicy } from './read-policy';
import { Semaphore } from './semaphore';
import { SettleWaiters } from './settle-waiters';
import { SingleFlight } from './single-flight';

/**
 * How long a result that isn't cached stays readable for the callers that were waiting for
 * its load: they are woken at once (pub/sub), or by the fallback poll within 225 ms.
 */
const HANDOFF_TTL_MS = 1000;

/**
 * Callers that joined a flight read again, rather than take its result, at most this many
 * times in a row; then they read on their own (each such read ends in its own result).
 */
const MAX_REJOINS = 3;

/** A lease holder's loaded value, and whether a write landed while it loaded. */
interface LeasedLoad<T> {
  value: T;
  /**
   * True once the fill (or the lease's release) found the lease gone, or a tag newer than
   * the load: a del, set, patch or tag invalidation, from any process, landed during the
   * load, which may have read the database before that write.
   */
  overtaken: boolean | Promise<boolean>;
}

/** A loader; it may take the load's context to choose its result's TTL, tags, or no caching. */
export type Loader<T> = (load: CacheLoadContext) => T | Promise<T>;

/** What the read path needs from invalidation: whether cached entries can be trusted now. */
export interface EvictionGate {
  /** True when no eviction that failed is still waiting to be applied. */
  readonly settled: boolean;
  /** Applies the evictions that failed; true once none is left. */
  settle(): Promise<boolean>;
}

/**
 * The cache-aside read algorithm, in one place: single-flight in the process, a lease
 * in Redis so one caller in the fleet loads, compare-and-set fills, notified waiters,
 * early refresh (XFetch), grace, and tag checks. An entry is served only if it is
 * fresh (or within grace, where allowed) and none of its tags was invalidated after
 * its load began; an entry Redis no longer holds is never served, not even stale.
 */
export class ReadThrough {
  private readonly flights = new SingleFlight<CacheResult<unknown>>();
  /** The lease holders' results, each with whether a write overtook its load (see `joined`). */
  private readonly overtaken = new WeakMap<CacheResult<unknown>, boolean | Promise<boolean>>();
  private readonly refreshing = new Set<string>();
  private readonly nearAnswers = new NearAnswers();
  private readonly waiters = new SettleWaiters();
  private readonly loadsWithoutRedis: Semaphore;
  private readonly fillTags: FillTags;
  /** What a hit from the store is called (CacheResult.source). */
  private readonly storeSource: CacheHitSource;

  /**
   * @param near this process's near cache, when the module has one: consulted before
   * anything else, kept by what reads find fresh in Redis
   */
  constructor(
    private readonly options: ResolvedModuleOptions,
    private readonly store: CacheStore,
    private readonly entries: EntryAccess,
    private readonly evictions: EvictionGate,
    private readonly diagnostics: CacheDiagnostics,
    private readonly near?: NearCache,
  ) {
    store.onSettled((key) => this.waiters.wake(key));
    near?.onChange((keys) => {
      if (keys === 'all') this.flights.detachAll();
      else for (const key of keys) this.flights.detach(key);
    });
    this.loadsWithoutRedis = new Semaphore(options.maxConcurrentLoadsWithoutRedis);
    this.fillTags = new FillTags(store, diagnostics);
    this.storeSource = options.store === 'memory' ? 'memory' : 'redis';
  }

  read<T>(key: string, loader: Loader<T>, policy: ReadPolicy): Promise<CacheResult<T>> {
    const near = policy.near ? this.near : undefined;
    if (near === undefined) return this.readShared(key, loader, policy, undefined);
    // Held in memory: answered after the loop has polled for I/O (see NearAnswers), so an
    // invalidation that arrived meanwhile is applied first; the entry is looked up then.
    if (near.holds(key)) {
      return this.nearAnswers.later(() => this.readNear(key, loader, policy, near));
    }
    this.diagnostics.count('nearMisses', key);
    return this.readShared(key, loader, policy, near);
  }

  private readNear<T>(
    key: string,
    loader: Loader<T>,
    policy: ReadPolicy,
    near: NearCache,
  ): CacheResult<T> | Promise<CacheResult<T>> {
    const hit = this.evictions.settled ? near.get(key) : undefined;
    if (hit === undefined) {
      this.diagnostics.count('nearMisses', key);
      return this.readShared(key, loader, policy, near);
    }
    this.diagnostics.count('nearHits', key);
    // XFetch's odds are per read, and reads from memory come thousands of times faster
    // than reads from Redis (which concurrent callers share as one flight): consider it
    // at most once a millisecond per key, or a hot key would refresh ever earlier.
    const now = Date.now();
    if (now >= hit.nextRefreshCheckMs) {
      hit.nextRefreshCheckMs = now + 1;
      if (this.shouldRefreshEarly(hit, now, policy)) {
        this.refreshInBackground(key, loader, policy, hit.freshUntilMs);
      }
    }
    return { value: near.valueOf<T>(hit), status: 'HIT', source: 'near' };
  }

  /** Through Redis, joining this process's flight for the key if one is under way. */
  private readShared<T>(
    key: string,
    loader: Loader<T>,
    policy: ReadPolicy,
    near: NearCache | undefined,
    rejoins = 0,
  ): Promise<CacheResult<T>> {
    const shared = this.flights.joining(key);
    if (shared !== undefined) return this.joined(shared, key, loader, policy, near, rejoins);
    return this.flights.start(key, this.readThrough(key, loader, policy, near)) as Promise<
      CacheResult<T>
    >;
  }

  /**
   * A caller that joined a flight may have started after a write that landed, in another
   * process, during the flight's load. Nothing tells this process of it when the key has no
   * entry in Redis (a del of a missing key changes nothing, and lease keys aren't watched),
   * but every write deletes the lease: a load whose fill finds its lease gone (or a tag newer
   * than itself) may hold the row from before the write. Its first caller began before the
   * write and keeps the value; the callers that joined read again, as one new flight. They
   * wait for the fill's reply for it, a round trip that the first caller doesn't wait for.
   */
  private async joined<T>(
    shared: Promise<CacheResult<unknown>>,
    key: string,
    loader: Loader<T>,
    policy: ReadPolicy,
    near: NearCache | undefined,
    rejoins: number,
  ): Promise<CacheResult<T>> {
    const result = (await shared) as CacheResult<T>;
    const overtaken = this.overtaken.get(result);
    if (overtaken === undefined || !(await overtaken)) return result;
    this.diagnostics.count('joinRetries', key);
    if (rejoins >= MAX_REJOINS) return this.readThrough(key, loader, policy, near);
    return this.readShared(key, loader, policy, near, rejoins + 1);
  }

  /**
   * After an eviction of these keys (or an invalidation of these tags: `'all'`), and
   * before it resolves: later callers must not join a flight that began before it, nor
   * get a near-cache entry from before it.
   */
  forget(keys: string[] | 'all', tags: readonly string[]): void {
    // with a near cache, its change notice detaches the flights (see the constructor), as
    // for changes Redis reports
    if (this.near !== undefined) {
      if (keys === 'all') this.near.tagsChanged(tags);
      else this.near.keysChanged(keys);
    } else if (keys === 'all') {
      this.flights.detachAll();
    } else {
      for (const key of keys) this.flights.detach(key);
    }
  }

  private async readThrough<T>(
    key: string,
    loader: Loader<T>,
    policy: ReadPolicy,
    near: NearCache | undefined,
  ): Promise<CacheResult<T>> {
    if (!this.evictions.settled && !(await this.evictions.settle())) {
      return this.bypass(key, loader, policy);
    }
    if (near !== undefined) {
      // Repeat hits are answered from memory, so a read that reaches Redis is mostly a miss
      // or the first read after a change: read and take the lease in one step (read-or-lease),
      // a round trip fewer per miss, for a script instead of a GET on such a hit.
      return this.loadUnderLease(key, loader, policy);
    }
    const knownTags = policy.tags.length > 0 ? this.entries.tags.prefetch(policy.tags) : undefined;
    const entry = await this.entries.read<T>(key, policy.storage);
    if (entry === 'unavailable') return this.bypass(key, loader, policy);
    if (entry === undefined || Date.now() >= entry.freshUntilMs) {
      return this.loadUnderLease(key, loader, policy);
    }
    // untagged (most entries): no await, the hit path stays as short as before tags
    const current =
      entry.tagging.tags.length === 0 || (await this.entries.isCurrent(entry, knownTags));
    if (current === 'unavailable') return this.bypass(key, loader, policy);
    if (!current) return this.loadUnderLease(key, loader, policy, entry.freshUntilMs);
    if (this.shouldRefreshEarly(entry, Date.now(), policy)) {
      this.refreshInBackground(key, loader, policy, entry.freshUntilMs);
    }
    return { value: entry.value, status: 'HIT', source: this.storeSource };
  }

  /** `stampedeProtection: false`: get, and on a miss load and set; no flight, no lease. */
  async readUnprotected<T>(
    key: string,
    loader: Loader<T>,
    policy: ReadPolicy,
  ): Promise<CacheResult<T>> {
    const entry = await this.entries.read<T>(key, policy.storage);
    if (entry === 'unavailable') return this.bypass(key, loader, policy);
    if (
      entry &&
      Date.now() < entry.freshUntilMs &&
      (await this.entries.isCurrent(entry)) === true
    ) {
      return { value: entry.value, status: 'HIT', source: this.storeSource };
    }
    const tagged = await this.fillTags.begin(policy);
    const value = await this.runLoader(key, loader);
    const freshMs = freshMsOf(policy.ttlMs, policy);
    const entryTtlMs = entryTtlMsOf(freshMs, policy);
    const tagging = await this.fillTags.finish(key, tagged, value, policy, entryTtlMs);
    const encoded =
      typeof tagging === 'object' &&
      this.entries.encode(key, value, freshMs, 0, policy.storage, tagging);
    if (encoded) {
      await this.store
        .write(key, encoded, entryTtlMs)
        .catch((error) => this.diagnostics.redisFailed('set', error));
    }
    return { value, status: 'MISS' };
  }

  /**
   * Miss, stale, or out of date by its tags: take the lease and load, or wait for whoever
   * holds it. Loops because a wait ends in a fresh entry, a lease to take over, or a
   * failure. `supersededFreshUntil` names an entry its tags made out of date: the lease
   * is asked for as if it were missing (only while that entry is still the current one).
   */
  private async loadUnderLease<T>(
    key: string,
    loader: Loader<T>,
    policy: ReadPolicy,
    supersededFreshUntil?: number,
  ): Promise<CacheResult<T>> {
    const startedMs = Date.now();
    const deadline = startedMs + this.options.lockWaitTimeoutMs;
    // a waiter gives up when the holder's own callers would: no process waits longer
    const hardDeadline = policy.hardTimeoutMs > 0 ? startedMs + policy.hardTimeoutMs : Infinity;
    let waitingSinceMs: number | undefined;
    let superseded = supersededFreshUntil;
    let mayServeStale = policy.graceMs > 0;
    let replacedCorrupt = false;
    const near = policy.near ? this.near : undefined;
    for (;;) {
      const token = nextLeaseToken();
      const askedAtMs = performance.now();
      const ticket = near?.begin(key);
      let reply: LeaseReply;
      let current: CacheEntry<T> | undefined;
      try {
        try {
          reply = await this.store.readOrLease(key, {
            token,
            leaseTtlMs: this.options.leaseTtlMs,
            nowMs: Date.now(),
            refreshFreshUntil: superseded,
            waitingSinceMs,
            mayServeStale,
          });
        } catch (error) {
          this.diagnostics.redisFailed('read-or-lease', error);
          return this.bypass(key, loader, policy);
        }
        // Only what Redis holds now counts: an entry read earlier may have been evicted since.
        current = this.entries.decode<T>(key, reply.entry);
        if (current) {
          const isCurrent = await this.entries.isCurrent(current);
          if (isCurrent === 'unavailable') {
            if (reply.state === 'GRANTED') this.releaseQuietly(key, token);
            return this.bypass(key, loader, policy);
          }
          if (!isCurrent) {
            superseded = current.freshUntilMs;
            current = undefined;
          }
        }
      } finally {
        // a fresh entry someone else filled (what waiters wake up to) is kept near too
        if (ticket) near!.end(ticket, reply! && reply.state === 'FRESH' ? current : undefined);
      }
      const stale = current && this.servableStale(current, policy);
      switch (reply.state) {
        case 'FRESH':
          if (current) return { value: current.value, status: 'HIT', source: this.storeSource };
          if (Date.now() >= deadline) return this.loadWithoutLease(key, loader, policy);
          if (superseded !== undefined && reply.entry === null) {
            superseded = undefined; // replaced by someone else since: read it again
          } else if (superseded === undefined) {
            // fresh-looking but undecodable: delete it and take the lease like any miss
            if (replacedCorrupt || !(await this.evictQuietly(key)))
              return this.bypass(key, loader, policy);
            replacedCorrupt = true;
          }
          break;
        case 'BACKOFF':
          if (stale) return this.serveStale(stale);
          mayServeStale = false; // nothing servable: lease or wait like any miss
          break;
        case 'GRANTED':
          if (waitingSinceMs !== undefined) this.diagnostics.count('leaseTakeovers', key);
          if (stale) {
            this.diagnostics.count('refreshes', key);
            return this.refreshOrServeStale(key, token, loader, policy, stale, startedMs);
          }
          return this.loadAndFill(key, token, loader, policy, current, hardDeadline);
        case 'HANDOFF': {
          // the load this caller waited for isn't cached: its result, if still current
          const handed = this.entries.decode<T>(key, reply.handoff);
          if (
            handed &&
            (handed.tagging.tags.length === 0 || (await this.entries.isCurrent(handed)) === true)
          ) {
            return { value: handed.value, status: 'MISS' };
          }
          waitingSinceMs = undefined; // not usable: lease or wait as a new caller would
          break;
        }
        case 'FAILED':
          if (stale) return this.serveStale(stale);
          throw new CacheLoadFailedError(key, reply.failure.slice(reply.failure.indexOf('|') + 1));
        case 'HELD': {
          const now = Date.now();
          if (stale && now >= startedMs + policy.softTimeoutMs) {
            if (policy.softTimeoutMs > 0) this.diagnostics.count('softTimeouts', key);
            return this.serveStale(stale);
          }
          if (now >= hardDeadline) throw this.hardTimeout(key, policy);
          if (now >= deadline) return this.loadWithoutLease(key, loader, policy);
          if (waitingSinceMs === undefined) {
            waitingSinceMs = now;
            this.diagnostics.count('leaseWaits', key);
          }
          const until = Math.min(
            deadline,
            hardDeadline,
            stale ? startedMs + policy.softTimeoutMs : Infinity,
          );
          await this.waiters.wait(
            key,
            Math.max(1, Math.min(reply.leaseTtlMs + 10, until - now)),
            askedAtMs,
          );
          break;
        }
      }
    }
  }

  /** Past fresh-until an entry is served only with grace (Redis drops it at ttl + grace). */
  private servableStale<T>(entry: CacheEntry<T>, policy: ReadPolicy): CacheEntry<T> | undefined {
    return policy.graceMs > 0 ? entry : undefined;
  }

  /**
   * The holder is alive (it keeps extending) but slow, or the entry keeps being replaced
   * by out-of-date ones: load without the lease, and don't write, since only the lease
   * holder's fill is race-free.
   */
  private async loadWithoutLease<T>(
    key: string,
    loader: Loader<T>,
    policy: ReadPolicy,
  ): Promise<CacheResult<T>> {
    this.diagnostics.count('leaseWaitTimeouts', key);
    return {
      value: await this.boundedLoad(key, this.runLoader(key, loader), policy),
      status: 'MISS',
    };
  }

  /** A load no fill depends on, failed past the hard timeout (it goes on meanwhile). */
  private boundedLoad<T>(key: string, load: Promise<T>, policy: ReadPolicy): Promise<T> {
    if (policy.hardTimeoutMs <= 0) return load;
    return within(load, policy.hardTimeoutMs, (): never => {
      load.catch(() => undefined);
      throw this.hardTimeout(key, policy);
    });
  }

  /**
   * The lease holder's load: run the loader, fill if the lease still holds. Past the hard
   * timeout the call fails; the load goes on and still fills.
   */
  private async loadAndFill<T>(
    key: string,
    token: string,
    loader: Loader<T>,
    policy: ReadPolicy,
    stale: CacheEntry<T> | undefined,
    hardDeadline: number,
  ): Promise<CacheResult<T>> {
    const load = this.runLoad(key, token, loader, policy);
    try {
      const loaded =
        hardDeadline === Infinity
          ? await load
          : await within(load, hardDeadline - Date.now(), (): never => {
              throw this.hardTimeout(key, policy);
            });
      return this.missOf(loaded);
    } catch (error) {
      if (stale && policy.graceMs > 0) return this.serveStale(stale);
      throw error;
    }
  }

  /**
   * The lease holder with a stale value (grace): refresh, giving the load `softTimeoutMs`
   * (0: none) before the stale value is served; the load goes on under its lease and
   * fills when it completes. A load that fails within the soft timeout serves stale too.
   */
  private async refreshOrServeStale<T>(
    key: string,
    token: string,
    loader: Loader<T>,
    policy: ReadPolicy,
    stale: CacheEntry<T>,
    startedMs: number,
  ): Promise<CacheResult<T>> {
    const load = this.runLoad(key, token, loader, policy);
    load.catch(() => undefined); // a background refresh's failure is recorded by runLoad
    const waitMs = startedMs + policy.softTimeoutMs - Date.now();
    if (policy.softTimeoutMs <= 0 || waitMs <= 0) return this.serveStale(stale);
    const settled = await within(
      load.then((loaded) => ({ loaded })),
      waitMs,
      () => undefined,
    ).catch(() => ({ failed: true }) as const);
    if (settled && 'loaded' in settled) return this.missOf(settled.loaded);
    if (!settled) this.diagnostics.count('softTimeouts', key);
    return this.serveStale(stale);
  }

  /** A lease holder's result, remembered with whether a write overtook its load. */
  private missOf<T>(loaded: LeasedLoad<T>): CacheResult<T> {
    const result: CacheResult<T> = { value: loaded.value, status: 'MISS' };
    this.overtaken.set(result, loaded.overtaken);
    return result;
  }

  private hardTimeout(key: string, policy: ReadPolicy): CacheLoadTimeoutError {
    this.diagnostics.count('hardTimeouts', key);
    return new CacheLoadTimeoutError(key, policy.hardTimeoutMs);
  }

  private async runLoad<T>(
    key: string,
    token: string,
    loader: Loader<T>,
    policy: ReadPolicy,
  ): Promise<LeasedLoad<T>> {
    const tagged = await this.fillTags.begin(policy, loader.length > 0);
    const load = new LoadContext(key);
    const keepAlive = setInterval(
      () => {
        this.store
          .extendLease(key, token, this.options.leaseTtlMs)
          .catch((error) => this.diagnostics.redisFailed('extend-lease', error));
      },
      Math.max(50, Math.floor(this.options.leaseTtlMs / 3)),
    );
    keepAlive.unref();
    const started = performance.now();
    let value: T;
    try {
      value = await this.runLoader(key, loader, load);
    } catch (error) {
      clearInterval(keepAlive);
      const message = error instanceof Error ? error.message : String(error);
      await this.store
        .release(key, token, {
          record: `${Date.now()}|${message.slice(0, 500)}`,
          ttlMs: this.options.failureBackoffMs,
        })
        .catch((releaseError) => this.diagnostics.redisFailed('release-lease', releaseError));
      throw error;
    }
    clearInterval(keepAlive);
    const loadMs = performance.now() - started;
    const chosenFreshMs = this.freshMsFor(key, value, policy, load);
    const cacheIt = chosenFreshMs !== undefined && !load.skipped && policy.shouldCache(value);
    const freshMs = chosenFreshMs ?? freshMsOf(policy.ttlMs, policy);
    const entryTtlMs = entryTtlMsOf(freshMs, policy);
    const tagOutcome = await this.fillTags.finish(
      key,
      tagged,
      value,
      policy,
      entryTtlMs,
      load.tags,
    );
    const tagging = typeof tagOutcome === 'object' ? tagOutcome : undefined;
    // an outcome Redis didn't give (an error) counts as no write known: as before this check
    let overtaken: boolean | Promise<boolean> = tagOutcome === 'invalidated';
    try {
      const encoded =
        cacheIt &&
        tagging &&
        this.entries.encode(key, value, freshMs, loadMs, policy.storage, tagging);
      if (encoded) {
        // The value goes back without waiting for the fill's reply (a round trip off every
        // miss's latency). Nothing reads the key before the fill lands: this process's
        // next command for it queues behind the fill on the same connection, and another
        // process that asks meanwhile finds the lease held and is woken by the fill.
        overtaken = this.store.fill(key, token, encoded, entryTtlMs).then(
          (written) => {
            if (!written) this.diagnostics.count('rejectedFills', key);
            return !written;
          },
          (error: unknown) => {
            this.diagnostics.redisFailed('fill', error);
            return false;
          },
        );
      } else {
        // Not cached: hand the result to the callers in other processes that were waiting
        // for this load (the tag check still applies to them), instead of each loading again.
        const handoff =
          cacheIt === false && tagging
            ? this.entries.encode(key, value, freshMs, loadMs, 'string', tagging)
            : undefined;
        const released = await this.store.release(
          key,
          token,
          typeof handoff === 'string'
            ? { record: `h${Date.now()}|${handoff}`, ttlMs: HANDOFF_TTL_MS }
            : undefined,
        );
        if (!released) overtaken = true;
      }
    } catch (error) {
      this.diagnostics.redisFailed('fill', error);
    }
    return { value, overtaken };
  }

  /**
   * How long this result stays fresh: the loader's own choice (context, `ttlFromResult`),
   * else the not-found or the call's TTL, spread by the jitter. Undefined: don't cache
   * (`ttlFromResult` gave something that isn't a TTL; logged once).
   */
  private freshMsFor(
    key: string,
    value: unknown,
    policy: ReadPolicy,
    load: LoadContext,
  ): number | undefined {
    let ttlMs = load.ttlMs;
    if (ttlMs === undefined && policy.ttlFromResult) {
      let seconds: number | undefined;
      try {
        seconds = policy.ttlFromResult(value);
      } catch (error) {
        this.diagnostics.logOnce(
          `ttl:${key}`,
          `Not caching "${key}": ttlFromResult threw: ${String(error)}`,
        );
        return undefined;
      }
      if (
        seconds !== undefined &&
        !(typeof seconds === 'number' && Number.isFinite(seconds) && seconds > 0)
      ) {
        this.diagnostics.logOnce(
          `ttl:${key}`,
          `Not caching "${key}": ttlFromResult gave ${String(seconds)}, not a number of seconds above 0`,
        );
        return undefined;
      }
      if (seconds !== undefined) ttlMs = seconds * 1000;
    }
    ttlMs ??= policy.isNotFound(value) ? policy.notFoundTtlMs : policy.ttlMs;
    return freshMsOf(ttlMs, policy);
  }

  private async runLoader<T>(
    key: string,
    loader: Loader<T>,
    load: CacheLoadContext = new LoadContext(key),
  ): Promise<T> {
    this.diagnostics.count('loads', key);
    const request = cacheStatusContext.active();
    const started = request ? performance.now() : 0;
    try {
      return await this.diagnostics.telemetry.load(key, async () => loader(load));
    } catch (error) {
      this.diagnostics.count('loadErrors', key);
      throw error;
    } finally {
      if (request) request.loadMs += performance.now() - started;
    }
  }

  /**
   * Redis is unavailable: the loader answers. Single-flight still holds per key, and
   * the number of loads at once is capped, so the database sees a bounded load.
   */
  private async bypass<T>(
    key: string,
    loader: Loader<T>,
    policy: ReadPolicy,
  ): Promise<CacheResult<T>> {
    const load = this.loadsWithoutRedis.run(() => this.runLoader(key, loader));
    return { value: await this.boundedLoad(key, load, policy), status: 'BYPASS' };
  }

  private serveStale<T>(stale: CacheEntry<T>): CacheResult<T> {
    return { value: stale.value, status: 'STALE' };
  }

  /** A corrupt entry that looks fresh blocks the lease: delete it (with its lease) first. */
  private async evictQuietly(key: string): Promise<boolean> {
    try {
      await this.store.evict([key]);
      return true;
    } catch (error) {
      this.diagnostics.redisFailed('del', error);
      return false;
    }
  }

  private releaseQuietly(key: string, token: string): void {
    this.store
      .release(key, token)
      .catch((error) => this.diagnostics.redisFailed('release-lease', error));
  }

  /** XFetch: refresh with probability rising as expiry nears, scaled by the load time. */
  private shouldRefreshEarly(
    entry: Pick<CacheEntry, 'loadMs' | 'freshUntilMs'>,
    now: number,
    policy: ReadPolicy,
  ): boolean {
    if (policy.beta <= 0 || entry.loadMs <= 0) return false;
    return now - entry.loadMs * policy.beta * Math.log(Math.random()) >= entry.freshUntilMs;
  }

  private refreshInBackground<T>(
    key: string,
    loader: Loader<T>,
    policy: ReadPolicy,
    freshUntilMs: number,
  ): void {
    if (this.refreshing.has(key)) return;
    this.refreshing.add(key);
    const token = nextLeaseToken();
    this.store
      .readOrLease(key, {
        token,
        leaseTtlMs: this.options.leaseTtlMs,
        nowMs: Date.now(),
        refreshFreshUntil: freshUntilMs,
        mayServeStale: false,
      })
      .then(async (reply) => {
        if (reply.state !== 'GRANTED') return;
        this.diagnostics.count('refreshes', key);
        await this.runLoad(key, token, loader, policy);
      })
      .catch((error) => {
        if (isCacheInfrastructureError(error)) this.diagnostics.redisFailed('refresh', error);
        else {
          this.diagnostics.logOnce(
            `refresh:${key}`,
            `Early refresh of "${key}" failed: ${String(error)}`,
          );
        }
      })
      .finally(() => this.refreshing.delete(key));
  }
}

function isCacheInfrastructureError(error: unknown): boolean {
  return (error as { code?: string })?.code?.startsWith('CACHE_REDIS') ?? false;
}

/**
 * `work`'s outcome if it settles within `ms`; otherwise what `onTimeout` returns (or
 * throws). `work` itself goes on either way.
 */
function within<T, R>(work: Promise<T>, ms: number, onTimeout: () => R): Promise<T | R> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, Math.max(0, ms));
  }).then(onTimeout);
  return Promise.race([work, timedOut]).finally(() => clearTimeout(timer));
}
