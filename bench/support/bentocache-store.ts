import { BentoCache, bentostore } from 'bentocache';
import { memoryDriver } from 'bentocache/drivers/memory';
import { redisBusDriver, redisDriver } from 'bentocache/drivers/redis';

const REDIS_HOST = process.env.REDIS_HOST ?? '127.0.0.1';
const REDIS_PORT = Number(process.env.REDIS_PORT ?? 6379);

export type Bento = BentoCache<{ redis: ReturnType<typeof bentostore> }>;

/** Bentocache with a Redis (L2) store only: no in-memory layer, no bus. */
export function createBento(prefix: string): Bento {
  return new BentoCache({
    default: 'redis',
    stores: {
      redis: bentostore().useL2Layer(
        redisDriver({ connection: { host: REDIS_HOST, port: REDIS_PORT }, prefix: `${prefix}:bc` }),
      ),
    },
  });
}

export type TieredBento = BentoCache<{ tiered: ReturnType<typeof bentostore> }>;

/**
 * Bentocache as its docs set up several processes: a memory (L1) layer in front of Redis
 * (L2), and the Redis bus (pub/sub) through which a process that writes a key tells the
 * others to drop it from their L1. Its defaults otherwise: the L1 keeps serialized entries
 * (`serialize: true`), so every L1 hit parses JSON and returns a fresh object, as our near
 * cache's default `values: 'copy'` returns a copy; 1,000 items at most (it holds the 1,024
 * keys of the hit path only with more, hence 10,000, our near cache's default).
 */
export function createTieredBento(prefix: string): TieredBento {
  const connection = { host: REDIS_HOST, port: REDIS_PORT };
  return new BentoCache({
    default: 'tiered',
    stores: {
      tiered: bentostore()
        .useL1Layer(memoryDriver({ maxItems: 10_000 }))
        .useL2Layer(redisDriver({ connection, prefix: `${prefix}:bt` }))
        .useBus(redisBusDriver({ connection })),
    },
  });
}
