import { Logger } from '@nestjs/common';
import { createClient, type RedisClientOptions, type RedisClientType } from 'redis';
import { cacheScripts, type CacheScripts } from '../scripts';
import { redactRedisUrl, redactSecrets } from './redact-redis-url';

export type CacheRedisClient = RedisClientType<any, any, CacheScripts, 2, Record<never, never>>;

const MAX_RECONNECT_DELAY_MS = 2000;

/**
 * Creates the module's own client. Fails fast while disconnected (no offline queue:
 * a queue would pile up calls that then time out) and reconnects forever with a capped
 * back-off, so a Redis that comes back later is used again without a restart.
 */
export function createCacheRedisClient(redis: string | RedisClientOptions): CacheRedisClient {
  const options: RedisClientOptions = typeof redis === 'string' ? { url: redis } : { ...redis };
  return createClient({
    ...options,
    RESP: 2,
    disableOfflineQueue: true,
    scripts: cacheScripts,
    socket: {
      connectTimeout: 2000,
      ...options.socket,
      reconnectStrategy: (retries: number) =>
        Math.min(50 * 2 ** Math.min(retries, 10), MAX_RECONNECT_DELAY_MS),
    } as RedisClientOptions['socket'],
  });
}

export function describeRedis(redis: string | RedisClientOptions): string {
  if (typeof redis === 'string') return redactRedisUrl(redis);
  if (redis.url) return redactRedisUrl(redis.url);
  const socket: { host?: string; port?: number; path?: string } | undefined = redis.socket;
  return socket?.path ?? `${socket?.host ?? '127.0.0.1'}:${socket?.port ?? 6379}`;
}

/**
 * Logs connection state changes once per transition, never per failed request,
 * and never with a password in the text.
 */
export function logConnectionTransitions(
  client: CacheRedisClient,
  where: string,
  logger: Logger,
  onStateChange: (up: boolean) => void,
  isClosing: () => boolean = () => false,
): void {
  let up: boolean | undefined;
  const transition = (nowUp: boolean, detail?: string) => {
    if (up === nowUp || isClosing()) return;
    up = nowUp;
    onStateChange(nowUp);
    if (nowUp) logger.log(`Connected to Redis at ${where}`);
    else logger.warn(`Redis at ${where} is unavailable (${detail}); serving from the loader`);
  };
  client.on('ready', () => transition(true));
  client.on('error', (err: Error) => transition(false, redactSecrets(err.message)));
  client.on('end', () => transition(false, 'connection closed'));
}
