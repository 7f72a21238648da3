import { BentoCache, bentostore } from 'bentocache';
import { redisDriver } from 'bentocache/drivers/redis';

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
