export * from './cache-scripts';
