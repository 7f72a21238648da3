export * from './cacheable.decorator';
export * from './cache-evict.decorator';
export * from './cache-patch.decorator';
export * from './inject-cache-aside.decorator';
