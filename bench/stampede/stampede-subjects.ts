import type { Cache } from 'cache-manager';
import type { CacheAsideService } from 'nest-cache-aside';
import type { Bento, TieredBento } from '../support/bentocache-store';
import type { BenchProduct } from '../support/product-fixture';
import type { StampedeSubjectName } from './stampede-protocol';

type Loader = () => Promise<BenchProduct>;
export type StampedeRead = (key: string, loader: Loader, ttlSeconds: number) => Promise<unknown>;

/** The node-redis calls the hand-written get-then-set needs. */
export interface PlainRedis {
  get(key: string): Promise<string | null>;
  set(key: string, value: string, options: { EX: number }): Promise<unknown>;
}

/** How each subject does one cached read, as its documentation shows. */
export function stampedeReads(deps: {
  prefix: string;
  cacheAside: CacheAsideService;
  /** Our module with `nearCache: true`, on keys of its own. */
  nearCacheAside: CacheAsideService;
  cacheManager: Cache;
  bento: Bento;
  tieredBento: TieredBento;
  redis: PlainRedis;
}): Record<StampedeSubjectName, StampedeRead> {
  const { prefix, cacheAside, nearCacheAside, cacheManager, bento, tieredBento, redis } = deps;
  return {
    ours: (key, loader, ttlSeconds) => cacheAside.getOrLoad(key, loader, { ttlSeconds }),
    'ours-near': (key, loader, ttlSeconds) => nearCacheAside.getOrLoad(key, loader, { ttlSeconds }),
    'cache-manager': (key, loader, ttlSeconds) => cacheManager.wrap(key, loader, ttlSeconds * 1000),
    bentocache: (key, loader, ttlSeconds) =>
      bento.getOrSet({ key, factory: loader, ttl: ttlSeconds * 1000 }),
    'bentocache-tiered': (key, loader, ttlSeconds) =>
      tieredBento.getOrSet({ key, factory: loader, ttl: ttlSeconds * 1000 }),
    // The usual hand-written cache-aside: GET; on a miss load, then SET EX.
    'get-then-set': async (key, loader, ttlSeconds) => {
      const redisKey = `${prefix}:hw:${key}`;
      const cached = await redis.get(redisKey);
      if (cached !== null) return JSON.parse(cached);
      const value = await loader();
      await redis.set(redisKey, JSON.stringify(value), { EX: ttlSeconds });
      return value;
    },
  };
}
