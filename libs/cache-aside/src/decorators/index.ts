export * from './cacheable.decorator';
export * from './cache-evict.decorator';
