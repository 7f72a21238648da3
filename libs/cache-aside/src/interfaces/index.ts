export * from './cache-aside-module-options.interface';
export * from './cache-load-context.interface';
export * from './cache-load-options.interface';
export * from './cache-store.interface';
export * from './cache-stats.interface';
export * from './near-cache-options.interface';
