import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { CacheAsideService } from '../cache-aside.service';
import { registerCacheMetrics } from './cache-metrics.collector';
import type { CacheMetricsOptions } from './cache-metrics-options.interface';
import { CACHE_METRICS_OPTIONS } from './cache-metrics.module-definition';

/**
 * Registers the metrics when the module starts and removes them when it closes, so a
 * later app in the same process (a test's) can register them in the same registry.
 */
@Injectable()
export class CacheMetricsRegistration implements OnModuleInit, OnModuleDestroy {
  private unregister?: () => void;

  constructor(
    private readonly cache: CacheAsideService,
    @Inject(CACHE_METRICS_OPTIONS) private readonly options: CacheMetricsOptions,
  ) {}

  onModuleInit(): void {
    this.unregister = registerCacheMetrics(this.cache, this.options ?? {});
  }

  onModuleDestroy(): void {
    this.unregister?.();
    this.unregister = undefined;
  }
}
