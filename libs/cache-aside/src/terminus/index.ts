export * from './cache-health.indicator';
export * from './cache-health-options.interface';
