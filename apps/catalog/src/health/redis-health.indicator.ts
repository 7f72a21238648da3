import { Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { CacheAsideService } from '@app/cache-aside';

// Shared by every instance on one Redis (a per-instance key would only add keys); the short
// TTL keeps it from outliving the probes.
const PROBE_KEY = 'health:probe';
const PROBE_TTL_SECONDS = 5;

/**
 * Redis as the cache sees it, through the cache's own connection: a second client could be
 * up while the cache's is not. A write is the probe because `set` is the one call that
 * says whether Redis took it (a read can't tell "absent" from "unavailable").
 *
 * Redis down is reported as degraded, not down: the app keeps serving every read from the
 * database (X-Cache: BYPASS) and reconnects by itself, so failing readiness would only take
 * capacity away, from every instance at once, during an outage that costs latency alone.
 */
@Injectable()
export class RedisHealthIndicator {
  constructor(
    private readonly cache: CacheAsideService,
    private readonly indicators: HealthIndicatorService,
  ) {}

  async check<const Key extends string>(key: Key) {
    const indicator = this.indicators.check(key);
    if (!this.cache.enabled) return indicator.up({ cache: 'disabled' });
    // set() is bounded by the cache's command timeout and fails at once while disconnected.
    if (await this.cache.set(PROBE_KEY, Date.now(), PROBE_TTL_SECONDS)) return indicator.up();
    return indicator.degraded({
      message: 'Redis is unavailable: reads go to the database (X-Cache: BYPASS)',
    });
  }
}
