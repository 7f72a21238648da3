export * from './cache-metrics.collector';
export * from './cache-metrics.module';
export * from './cache-metrics-options.interface';
export { CACHE_METRICS_OPTIONS } from './cache-metrics.module-definition';
