export * from './cache-entry';
export * from './value-codec';
export * from './json-document';
