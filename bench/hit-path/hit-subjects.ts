import type { Cache } from 'cache-manager';
import { createClient } from 'redis';
import { cacheKey, type CacheAsideService } from 'nest-cache-aside';
import type { BenchApp } from '../support/bench-app';
import type { Bento, TieredBento } from '../support/bentocache-store';
import { makeProduct, type BenchProduct } from '../support/product-fixture';
import { REDIS_URL } from '../support/redis-admin';

export const KEY_COUNT = 1024;
const TTL_SECONDS = 3600;

/** One way of reading a cached product; every read in the measured rounds must be a hit. */
export interface HitSubject {
  name: string;
  read(index: number): Promise<unknown>;
  /** Loader runs so far (must not move while hits are measured). */
  loads(): number;
}

export interface HitSubjects {
  subjects: HitSubject[];
  seed(): Promise<void>;
  close(): Promise<void>;
}

/** The libraries under test, each connected and ready. */
export interface HitLibraries {
  bench: BenchApp;
  /** Our module with `nearCache: true` (its defaults: a copy per hit), on keys of its own. */
  near: BenchApp;
  /** The same with `values: 'frozen'` (one shared frozen value, no copy), on keys of its own. */
  nearFrozen: BenchApp;
  bento: Bento;
  /** Bentocache with memory + Redis layers and its bus. */
  tieredBento: TieredBento;
}

export async function createHitSubjects(
  prefix: string,
  { bench, near, nearFrozen, bento, tieredBento }: HitLibraries,
): Promise<HitSubjects> {
  const raw = createClient({ url: REDIS_URL });
  raw.on('error', () => undefined);
  await raw.connect();

  const keys = Array.from({ length: KEY_COUNT }, (_, i) => cacheKey('p', i));
  const rawKeys = keys.map((key) => `${prefix}:raw:${key}`);
  const loads = { service: 0, near: 0, nearFrozen: 0, cacheManager: 0, bento: 0, tieredBento: 0 };
  const cacheAside: CacheAsideService = bench.cacheAside;
  const cache: Cache = bench.cacheManager;
  const serviceOptions = { ttlSeconds: TTL_SECONDS };
  // a tagged entry: each hit also reads its tag's version, in the same round trip
  const taggedOptions = { ttlSeconds: TTL_SECONDS, tags: ['category:1'] };

  const subjects: HitSubject[] = [
    {
      name: 'raw GET + JSON.parse',
      read: async (i) => JSON.parse((await raw.get(rawKeys[i])) as string),
      loads: () => 0,
    },
    {
      name: 'ours: getOrLoad',
      read: (i) =>
        cacheAside.getOrLoad(
          keys[i],
          () => {
            loads.service++;
            return makeProduct(i);
          },
          serviceOptions,
        ),
      loads: () => loads.service,
    },
    {
      name: 'ours: getOrLoad, tagged',
      read: (i) =>
        cacheAside.getOrLoad(
          `${keys[i]}:tagged`,
          () => {
            loads.service++;
            return makeProduct(i);
          },
          taggedOptions,
        ),
      loads: () => loads.service,
    },
    {
      name: 'ours: getOrLoad, near cache',
      read: (i) =>
        near.cacheAside.getOrLoad(
          keys[i],
          () => {
            loads.near++;
            return makeProduct(i);
          },
          serviceOptions,
        ),
      loads: () => loads.near,
    },
    {
      name: 'ours: getOrLoad, near cache, frozen',
      read: (i) =>
        nearFrozen.cacheAside.getOrLoad(
          keys[i],
          () => {
            loads.nearFrozen++;
            return makeProduct(i);
          },
          serviceOptions,
        ),
      loads: () => loads.nearFrozen,
    },
    {
      name: 'ours: @Cacheable',
      read: (i) => bench.catalog.findOne(i),
      loads: () => bench.catalog.loads,
    },
    {
      name: '@nestjs/cache-manager wrap',
      read: (i) =>
        cache.wrap(
          keys[i],
          async (): Promise<BenchProduct> => {
            loads.cacheManager++;
            return makeProduct(i);
          },
          TTL_SECONDS * 1000,
        ),
      loads: () => loads.cacheManager,
    },
    {
      name: 'bentocache getOrSet',
      read: (i) =>
        bento.getOrSet({
          key: keys[i],
          factory: async () => {
            loads.bento++;
            return makeProduct(i);
          },
          ttl: TTL_SECONDS * 1000,
        }),
      loads: () => loads.bento,
    },
    {
      name: 'bentocache memory+Redis+bus',
      read: (i) =>
        tieredBento.getOrSet({
          key: keys[i],
          factory: async () => {
            loads.tieredBento++;
            return makeProduct(i);
          },
          ttl: TTL_SECONDS * 1000,
        }),
      loads: () => loads.tieredBento,
    },
  ];

  return {
    subjects,
    async seed() {
      for (let i = 0; i < KEY_COUNT; i++) {
        await raw.set(rawKeys[i], JSON.stringify(makeProduct(i)), { EX: TTL_SECONDS });
        for (const subject of subjects) await subject.read(i);
      }
      // Every subject must now hit and give back product i.
      for (const subject of subjects) {
        const before = subject.loads();
        const value = (await subject.read(7)) as BenchProduct;
        if (value?.sku !== makeProduct(7).sku || subject.loads() !== before) {
          throw new Error(`${subject.name} did not serve product 7 from the cache after seeding`);
        }
      }
    },
    async close() {
      raw.destroy();
    },
  };
}
