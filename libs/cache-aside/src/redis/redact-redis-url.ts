import { CacheOptionsError } from '../errors/cache-options.error';

/** A Redis URL fit for logs and error messages: the password never leaves this function. */
export function redactRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return redactUnparsedUrl(url);
  }
}

/**
 * A URL that doesn't parse, for an error message: everything between the scheme and
 * the last '@' (user and password, whatever characters the password holds) is hidden.
 */
function redactUnparsedUrl(text: string): string {
  const at = text.lastIndexOf('@');
  if (at === -1) return text;
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(text)?.[0] ?? '';
  return `${scheme}***@${text.slice(at + 1)}`;
}

/**
 * Checks a Redis URL before node-redis sees it: node-redis' own "Invalid URL" TypeError
 * carries the whole URL, password included, in its `input`, and Nest prints it.
 *
 * @throws CacheOptionsError naming the URL with its user and password hidden, and no cause
 */
export function checkRedisUrl(url: unknown, option = 'redis'): void {
  if (typeof url !== 'string') {
    throw new CacheOptionsError(`${option} must be a redis:// or rediss:// URL string`);
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new CacheOptionsError(
      `${option}: ${redactUnparsedUrl(url)} is not a valid URL (expected redis://[user:password@]host[:port][/db] or rediss://...)`,
    );
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new CacheOptionsError(
      `${option}: ${redactRedisUrl(url)} must start with redis:// or rediss://`,
    );
  }
}

/** Replaces every `scheme://user:password@` in free text (error messages echo URLs). */
export function redactSecrets(text: string): string {
  return text.replace(/(rediss?:\/\/[^:@/\s]*:)[^@\s]*@/gi, '$1***@');
}
