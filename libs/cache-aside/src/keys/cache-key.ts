import { CacheKeyError } from '../errors/cache-key.error';
import { encodeKeySegment } from './key-segment-encoding';
import { finishKey } from './key-template';

const KEY_TEXT = /^[\x20-\x7e]+$/;
const BRACES = /[{}]/;

/**
 * Builds a logical key in code, encoding each part like a template placeholder and
 * joining them with ':': `cacheKey('product', id)` equals what `'product:{0}'` gives
 * for `[id]`; {@link normalizeCacheKey} hashes long keys by the same rule as templates.
 *
 * @throws CacheKeyError with no parts, or for a part that has no key form
 */
export function cacheKey(...parts: unknown[]): string {
  if (parts.length === 0) throw new CacheKeyError('cacheKey() needs at least one part');
  let key = encodeKeySegment(parts[0]);
  for (let i = 1; i < parts.length; i++) key += `:${encodeKeySegment(parts[i])}`;
  return key;
}

/**
 * Checks a logical key given as a string (to `get`, `set`, `del`...) and hashes it
 * when longer than MAX_LOGICAL_KEY_LENGTH, like a template's key. Keys it returns come
 * back unchanged, so a key that already went through a template or this function is
 * safe to pass again. The string is trusted: build it with {@link cacheKey} when it
 * holds user input.
 *
 * @throws CacheKeyError for an empty key, braces, or characters outside printable ASCII
 */
export function normalizeCacheKey(key: string): string {
  if (typeof key !== 'string' || !KEY_TEXT.test(key) || BRACES.test(key)) {
    const shown = typeof key === 'string' ? JSON.stringify(key.slice(0, 80)) : typeof key;
    throw new CacheKeyError(
      `cache key ${shown} must be non-empty printable ASCII without '{' or '}' (build keys with cacheKey() to have values encoded)`,
    );
  }
  return finishKey(key);
}
