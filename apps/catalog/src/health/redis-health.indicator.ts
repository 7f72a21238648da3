import { Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { CacheAsideService } from 'nest-cache-aside';

/**
 * Redis as the cache sees it: a PING through the cache's own connection, circuit breaker and
 * command timeout, so "up" means cached reads can reach Redis now (a second client could be
 * up while the cache's is not), and a check costs no key.
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
    // isAvailable() is false when caching is off: that is a setting, not an outage.
    if (!this.cache.enabled) return indicator.up({ cache: 'disabled' });
    if (await this.cache.isAvailable()) return indicator.up();
    return indicator.degraded({
      message: 'Redis is unavailable: reads go to the database (X-Cache: BYPASS)',
    });
  }
}
