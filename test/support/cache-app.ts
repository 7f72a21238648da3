import { type INestApplicationContext, Module, type Provider } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  CacheAsideModule,
  CacheAsideService,
  type CacheAsideModuleOptions,
} from 'nest-cache-aside';
import { CACHE_ASIDE_STORE } from '../../libs/cache-aside/src/cache-aside.constants';
import type { RedisCacheStore } from '../../libs/cache-aside/src/redis/redis-cache-store';
import { REDIS_URL } from './redis';

export interface CacheApp {
  app: INestApplicationContext;
  cache: CacheAsideService;
  /** The module's store: tests reach in for the test-only lease-check switch. */
  store: RedisCacheStore;
  close(): Promise<void>;
}

/**
 * A Nest application context with the cache module (and any fixture providers):
 * one "process" of a fleet. Waits for Redis unless told not to (Redis down on purpose:
 * then start-up doesn't wait for it either, unless the test sets `startupWaitMs`).
 */
export async function startCacheApp(
  options: CacheAsideModuleOptions,
  {
    providers = [],
    waitForRedis = options.enabled !== false,
  }: { providers?: Provider[]; waitForRedis?: boolean } = {},
): Promise<CacheApp> {
  @Module({
    imports: [
      // A generous timeout: these tests count loads and statuses on a busy 2-core box, where
      // a 50 ms GC or scheduling pause would turn a read into a BYPASS. Fault tests set theirs.
      CacheAsideModule.forRoot({
        redis: REDIS_URL,
        commandTimeoutMs: 500,
        ...(waitForRedis ? {} : { startupWaitMs: 0 }),
        ...options,
      }),
    ],
    providers,
  })
  class CacheTestModule {}
  const app = await NestFactory.createApplicationContext(CacheTestModule, { logger: false });
  const cache = app.get(CacheAsideService);
  if (waitForRedis) await waitUntilConnected(cache);
  return {
    app,
    cache,
    store: app.get<RedisCacheStore>(CACHE_ASIDE_STORE),
    close: () => app.close(),
  };
}

/** The module connects in the background; a test starts once a write goes through. */
export async function waitUntilConnected(cache: CacheAsideService): Promise<void> {
  for (let i = 0; i < 250; i++) {
    if (await cache.set('__ready__', 1, 1)) {
      await cache.del('__ready__');
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error('the cache never connected to Redis');
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A promise with its resolve function, for choreographing races. */
export function deferred<T = void>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}
