import { CacheAsideError } from './cache-aside.error';

/**
 * A key template is malformed, or can't be applied to a call's arguments. The
 * message names the decorated `Class.method` and the template.
 */
export class CacheKeyTemplateError extends CacheAsideError {
  readonly code = 'CACHE_KEY_TEMPLATE';
}
