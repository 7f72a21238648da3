import { Module } from '@nestjs/common';
import { ConfigurableCacheMetricsModule } from './cache-metrics.module-definition';
import { CacheMetricsRegistration } from './cache-metrics.registration';

/**
 * The cache's counters as Prometheus metrics, collected on scrape:
 * `CacheMetricsModule.forRoot({ registry })`, or `forRootAsync` to take the registry
 * from a provider. Needs `CacheAsideService` in scope (`CacheAsideModule` with
 * `isGlobal: true`, or `imports` of `forRootAsync`). Serving `/metrics` stays the app's.
 */
@Module({ providers: [CacheMetricsRegistration] })
export class CacheMetricsModule extends ConfigurableCacheMetricsModule {}
