import { CacheRedisTimeoutError } from '../errors/cache-redis-timeout.error';

/**
 * Bounds a Redis call by our own timer: node-redis stops counting its own timeout
 * once a command is written, so a frozen server would otherwise hang the call forever.
 */
export function withTimeout<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new CacheRedisTimeoutError(what, timeoutMs)), timeoutMs);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
