import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { CacheMetricsOptions } from './cache-metrics-options.interface';

export const {
  ConfigurableModuleClass: ConfigurableCacheMetricsModule,
  MODULE_OPTIONS_TOKEN: CACHE_METRICS_OPTIONS,
} = new ConfigurableModuleBuilder<CacheMetricsOptions>().setClassMethodName('forRoot').build();
