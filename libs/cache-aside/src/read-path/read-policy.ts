import { CacheOptionsError } from '../errors/cache-options.error';
import type { CacheLoadOptions } from '../interfaces';
import { normalizeCacheKey } from '../keys';
import { stripUndefined, type ResolvedModuleOptions } from '../resolve-module-options';
import type { CacheStorage } from '../serialization/cache-entry';

/** One read's options, resolved: call options over their profile over the module's. */
export interface ReadPolicy {
  ttlMs: number;
  notFoundTtlMs: number;
  graceMs: number;
  /** With a stale value: how long to wait for its refresh (0: serve stale at once). */
  softTimeoutMs: number;
  /** Without one: how long before the call fails with CacheLoadTimeoutError (0: never). */
  hardTimeoutMs: number;
  /** XFetch's beta; 0 turns early refresh off. */
  beta: number;
  /** TTL spread as a fraction (0.1 for +-10%). */
  jitter: number;
  isNotFound: (value: unknown) => boolean;
  ttlFromResult?: (value: unknown) => number | undefined;
  shouldCache: (value: unknown) => boolean;
  tags: readonly string[];
  tagsFromResult?: (value: unknown) => string[];
  storage: CacheStorage;
  /** Whether this read uses the near cache (the module has one, and the call didn't opt out). */
  near: boolean;
}

/**
 * The tag every entry joins with `trackAllKeys`, for `evictAll`. Its NUL character
 * can't appear in a user's tag (normalized tags are printable ASCII), so no clash.
 */
export const ALL_ENTRIES_TAG = '\u0000all';
const ALL_ENTRIES: readonly string[] = [ALL_ENTRIES_TAG];
const NO_TAGS: readonly string[] = [];
const isNullish = (value: unknown) => value === null || value === undefined;
const cacheEverything = () => true;

/**
 * Resolves read policies. Decorators pass the same options object on every call, so
 * the merge is done once per object, off the hit path.
 */
export class ReadPolicies {
  private readonly byOptions = new WeakMap<object, ReadPolicy>();
  private defaultPolicy?: ReadPolicy;

  /**
   * @param nearByDefault whether reads use the near cache unless they say otherwise;
   * undefined when the module has none (then no read does)
   */
  constructor(
    private readonly options: ResolvedModuleOptions,
    private readonly nearByDefault?: boolean,
  ) {}

  for<T>(options: CacheLoadOptions<T> | undefined): ReadPolicy {
    if (!options) return (this.defaultPolicy ??= this.build(undefined));
    if (options.tags) return this.build(options); // per-call tags: nothing to reuse
    let policy = this.byOptions.get(options);
    if (!policy) {
      policy = this.build(options);
      this.byOptions.set(options, policy);
    }
    return policy;
  }

  build<T>(callOptions: CacheLoadOptions<T> | undefined): ReadPolicy {
    const o = this.options;
    const options = this.withProfile(callOptions);
    const ttlSeconds = options?.ttlSeconds ?? o.defaultTtlSeconds;
    const earlyRefresh = options?.earlyRefresh ?? o.earlyRefresh;
    return {
      ttlMs: ttlSeconds * 1000,
      notFoundTtlMs: (options?.notFoundTtlSeconds ?? o.notFoundTtlSeconds ?? ttlSeconds) * 1000,
      graceMs: (options?.graceSeconds ?? o.graceSeconds) * 1000,
      softTimeoutMs: timeoutOf('softTimeoutMs', options?.softTimeoutMs ?? o.softTimeoutMs),
      hardTimeoutMs: timeoutOf('hardTimeoutMs', options?.hardTimeoutMs ?? o.hardTimeoutMs),
      beta: earlyRefresh === true ? 1 : earlyRefresh === false ? 0 : earlyRefresh,
      jitter: (options?.ttlJitterPercent ?? o.ttlJitterPercent) / 100,
      isNotFound: (options?.isNotFound as (value: unknown) => boolean) ?? isNullish,
      ttlFromResult: options?.ttlFromResult as ((value: unknown) => number | undefined) | undefined,
      shouldCache: (options?.shouldCache as (value: unknown) => boolean) ?? cacheEverything,
      tags: this.tagsOf(options?.tags),
      tagsFromResult: options?.tagsFromResult as ((value: unknown) => string[]) | undefined,
      storage: storageOf(options?.storage),
      near: this.nearByDefault !== undefined && (options?.nearCache ?? this.nearByDefault),
    };
  }

  /** A call's tags, normalized; every entry also joins the all-entries tag when tracked. */
  private tagsOf(tags: string[] | undefined): readonly string[] {
    if (!tags) return this.options.trackAllKeys ? ALL_ENTRIES : NO_TAGS;
    const normalized = new Set(tags.map(normalizeCacheKey));
    if (this.options.trackAllKeys) normalized.add(ALL_ENTRIES_TAG);
    return [...normalized];
  }

  /** Call options over their named profile (module option `profiles`). */
  private withProfile<T>(
    options: CacheLoadOptions<T> | undefined,
  ): CacheLoadOptions<T> | undefined {
    if (!options?.profile) return options;
    const profile = this.options.profiles[options.profile];
    if (!profile) {
      const known = Object.keys(this.options.profiles).join(', ') || 'none';
      throw new CacheOptionsError(
        `Unknown cache profile '${options.profile}'; the module defines: ${known}`,
      );
    }
    return { ...(profile as CacheLoadOptions<T>), ...stripUndefined(options) };
  }
}

function timeoutOf(name: string, value: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new CacheOptionsError(
      `${name} must be a number of milliseconds from 0, got ${String(value)}`,
    );
  }
  return value;
}

const STORAGES: readonly CacheStorage[] = ['string', 'hash', 'json'];

function storageOf(storage: CacheStorage | undefined): CacheStorage {
  if (storage === undefined) return 'string';
  if (!STORAGES.includes(storage)) {
    throw new CacheOptionsError(
      `Unknown storage '${String(storage)}'; use one of: ${STORAGES.join(', ')}`,
    );
  }
  return storage;
}

/** How long a new entry stays fresh: the TTL, spread by the jitter. */
export function freshMsOf(ttlMs: number, policy: ReadPolicy): number {
  return policy.jitter > 0 ? ttlMs * (1 + policy.jitter * (Math.random() * 2 - 1)) : ttlMs;
}

/** Redis keeps the entry for its fresh time plus grace, then drops it. */
export function entryTtlMsOf(freshMs: number, policy: ReadPolicy): number {
  return Math.max(1, Math.round(freshMs + policy.graceMs));
}
