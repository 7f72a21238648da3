export * from './memory-cache-store';
