export * from './cache-aside.error';
export * from './cache-corrupt-entry.error';
export * from './cache-key.error';
export * from './cache-key-template.error';
export * from './cache-load-failed.error';
export * from './cache-options.error';
export * from './cache-redis-timeout.error';
export * from './cache-serialization.error';
