import { Injectable, Optional } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import { CacheAsideService } from '../cache-aside.service';
import { getCacheAsideToken } from '../cache-aside.tokens';
import { CacheOptionsError } from '../errors/cache-options.error';
import type { CacheHealthCheckOptions } from './cache-health-options.interface';

/**
 * A `@nestjs/terminus` health indicator for the cache, as its reads see it: a PING
 * through the cache's own connection, circuit breaker and command timeout (so a check
 * costs no key and a second client being up proves nothing), then whether the cache is
 * trusted (evictions that failed during an outage are applied). Add it to the
 * providers of a module that imports `TerminusModule`.
 *
 * - `up`: Redis answers and cached reads are served; also `up` with `{ cache: 'disabled' }`
 *   when the module option `enabled` is false (a setting, not an outage)
 * - otherwise `degraded` (HTTP 200, the default) or `down` (503): see `whenUnavailable`
 *
 * `cache: 'sessions'` checks a named cache (`forRoot({ name: 'sessions' })`) instead of
 * the default one; an app with named caches only needs no default cache for this.
 */
@Injectable()
export class CacheHealthIndicator {
  constructor(
    private readonly indicators: HealthIndicatorService,
    private readonly moduleRef: ModuleRef,
    @Optional() private readonly defaultCache?: CacheAsideService,
  ) {}

  /** The cache to check: the default one, or a named one looked up by its token. */
  private cacheNamed(name: string | undefined, key: string): CacheAsideService {
    if (name === undefined && this.defaultCache) return this.defaultCache;
    try {
      return this.moduleRef.get<CacheAsideService>(getCacheAsideToken(name), { strict: false });
    } catch {
      throw new CacheOptionsError(
        `CacheHealthIndicator.check('${key}'): no cache ${name === undefined ? 'without a name' : `named '${name}'`} is defined (CacheAsideModule.forRoot${name === undefined ? '' : `({ name: '${name}' })`})`,
      );
    }
  }

  async check<const Key extends string>(
    key: Key,
    options: CacheHealthCheckOptions = {},
  ): Promise<HealthIndicatorResult<Key>> {
    const whenUnavailable = options.whenUnavailable ?? 'degraded';
    if (whenUnavailable !== 'degraded' && whenUnavailable !== 'down') {
      throw new CacheOptionsError(
        `CacheHealthIndicator.check('${key}'): whenUnavailable must be 'degraded' or 'down', not ${JSON.stringify(whenUnavailable)}`,
      );
    }
    const cache = this.cacheNamed(options.cache, key);
    const indicator = this.indicators.check(key);
    const unavailable = (message: string, details: Record<string, unknown> = {}) =>
      whenUnavailable === 'down'
        ? indicator.down({ message, ...details })
        : indicator.degraded({ message, ...details });
    if (!cache.enabled) return indicator.up({ cache: 'disabled' });
    const lastError = () => {
      const error = cache.stats().lastRedisError;
      return error ? { lastError: `${error.kind} in ${error.operation}: ${error.message}` } : {};
    };
    if (!(await cache.isAvailable())) {
      return unavailable('Redis is unavailable: reads go to the loaders (X-Cache: BYPASS)', {
        ...since(cache.stats().redisFailingSince),
        ...lastError(),
      });
    }
    const trusted = await cache.isTrusted();
    const stats = cache.stats();
    if (stats.writesRefusedSince !== null) {
      return unavailable(
        "Redis answers but refuses writes (OOM, READONLY or MISCONF): nothing new is cached and failed evictions can't be applied",
        { ...since(stats.writesRefusedSince), ...lastError() },
      );
    }
    if (!trusted) {
      return unavailable(
        'Redis answers, but evictions that failed while it was unreachable are not applied yet: reads go to the loaders until they are',
        { pendingEvictions: stats.pendingEvictions, ...lastError() },
      );
    }
    return indicator.up();
  }
}

function since(epochMs: number | null): { since?: string } {
  return epochMs === null ? {} : { since: new Date(epochMs).toISOString() };
}
