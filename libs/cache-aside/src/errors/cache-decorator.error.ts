import { CacheAsideError } from './cache-aside.error';

/**
 * A caching decorator is applied to a method it can't wrap faithfully, such as one
 * declared to return a plain value: raised when the class is defined, naming
 * `Class.method`.
 */
export class CacheDecoratorError extends CacheAsideError {
  readonly code = 'CACHE_DECORATOR';
}
