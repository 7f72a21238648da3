export * from './cache-entry';
export * from './value-codec';
