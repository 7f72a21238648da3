import { DEFAULT_OPTIONS } from './cache-aside.constants';
import { nearCacheSettingsOf } from './near-cache/near-cache-settings';
import { CacheOptionsError } from './errors/cache-options.error';
import type { CacheAsideModuleOptions } from './interfaces';

export type ResolvedModuleOptions = Required<Omit<CacheAsideModuleOptions, 'notFoundTtlSeconds'>> &
  Pick<CacheAsideModuleOptions, 'notFoundTtlSeconds'>;

function requireNumber(name: string, value: number, min: number, max = Number.MAX_SAFE_INTEGER) {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw new CacheOptionsError(
      `${name} must be a number from ${min} to ${max}, got ${String(value)}`,
    );
  }
}

/** Applies defaults and rejects nonsense at start-up rather than at the first request. */
export function resolveModuleOptions(options: CacheAsideModuleOptions): ResolvedModuleOptions {
  const resolved = { ...DEFAULT_OPTIONS, ...stripUndefined(options) } as ResolvedModuleOptions;
  if (resolved.store !== 'redis' && resolved.store !== 'memory') {
    throw new CacheOptionsError(`store must be 'redis' or 'memory', got ${String(resolved.store)}`);
  }
  requireNumber('defaultTtlSeconds', resolved.defaultTtlSeconds, 0.001);
  if (resolved.notFoundTtlSeconds !== undefined) {
    requireNumber('notFoundTtlSeconds', resolved.notFoundTtlSeconds, 0.001);
  }
  requireNumber('commandTimeoutMs', resolved.commandTimeoutMs, 1, 60_000);
  requireNumber('startupWaitMs', resolved.startupWaitMs, 0, 60_000);
  requireNumber('leaseTtlMs', resolved.leaseTtlMs, 100);
  requireNumber('lockWaitTimeoutMs', resolved.lockWaitTimeoutMs, 0);
  requireNumber('graceSeconds', resolved.graceSeconds, 0);
  requireNumber('failureBackoffMs', resolved.failureBackoffMs, 1);
  requireNumber('softTimeoutMs', resolved.softTimeoutMs, 0);
  requireNumber('hardTimeoutMs', resolved.hardTimeoutMs, 0);
  requireNumber('ttlJitterPercent', resolved.ttlJitterPercent, 0, 100);
  requireNumber('maxValueBytes', resolved.maxValueBytes, 1);
  requireNumber('breakerFailureThreshold', resolved.breakerFailureThreshold, 1);
  requireNumber('breakerOpenMs', resolved.breakerOpenMs, 1);
  requireNumber('maxConcurrentLoadsWithoutRedis', resolved.maxConcurrentLoadsWithoutRedis, 1);
  requireNumber('maxPendingEvictions', resolved.maxPendingEvictions, 0);
  for (const [name, profile] of Object.entries(resolved.profiles)) {
    for (const field of ['ttlSeconds', 'notFoundTtlSeconds'] as const) {
      if (profile[field] !== undefined)
        requireNumber(`profiles.${name}.${field}`, profile[field], 0.001);
    }
    if (profile.graceSeconds !== undefined) {
      requireNumber(`profiles.${name}.graceSeconds`, profile.graceSeconds, 0);
    }
    for (const field of ['softTimeoutMs', 'hardTimeoutMs'] as const) {
      if (profile[field] !== undefined)
        requireNumber(`profiles.${name}.${field}`, profile[field], 0);
    }
    if (profile.ttlJitterPercent !== undefined) {
      requireNumber(`profiles.${name}.ttlJitterPercent`, profile.ttlJitterPercent, 0, 100);
    }
  }
  nearCacheSettingsOf(resolved.nearCache); // throws on nonsense
  if (typeof resolved.earlyRefresh === 'number')
    requireNumber('earlyRefresh', resolved.earlyRefresh, 0);
  return resolved;
}

export function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
