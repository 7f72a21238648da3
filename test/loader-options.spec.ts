import { Injectable } from '@nestjs/common';
import { Cacheable, CacheOptionsError } from 'nest-cache-aside';
import { deferred, sleep, startCacheApp, type CacheApp } from './support/cache-app';
import { connectTestRedis, deletePrefix, uniquePrefix, type TestRedis } from './support/redis';

jest.setTimeout(30_000);

interface Product {
  id: number;
  onSale: boolean;
  draft: boolean;
  category: string;
}

@Injectable()
class ProductService {
  loads = 0;
  products = new Map<number, Product>();

  @Cacheable({
    key: 'product:{0}',
    ttlSeconds: 3600,
    // chosen from the result: a product on sale is cached briefly, a draft not at all
    ttlFromResult: (product: Product | null) => (product?.onSale ? 2 : undefined),
    unless: (product: Product | null) => product?.draft === true,
    tagsFromResult: (product: Product | null) => (product ? [`category:${product.category}`] : []),
  })
  async findOne(id: number): Promise<Product | null> {
    this.loads++;
    return this.products.get(id) ?? null;
  }
}

describe('options chosen by the loader at run time (real Redis)', () => {
  const prefix = uniquePrefix('loader-options');
  let redis: TestRedis;
  let node: CacheApp;

  beforeAll(async () => {
    redis = await connectTestRedis();
    node = await startCacheApp(
      { keyPrefix: prefix, earlyRefresh: false },
      { providers: [ProductService] },
    );
  });

  afterAll(async () => {
    await node.close();
    await deletePrefix(redis, prefix);
    redis.destroy();
  });

  const ttlOf = (key: string) => redis.pTTL(`${prefix}:{${key}}`);

  describe('through the service: getOrLoad(key, (load) => ...)', () => {
    it('setTtlSeconds: this result gets its own TTL', async () => {
      const value = await node.cache.getOrLoad(
        'ctx:ttl',
        (load) => {
          load.setTtlSeconds(5);
          return 'short-lived';
        },
        { ttlSeconds: 3600 },
      );
      expect(value).toBe('short-lived');
      const ttl = await ttlOf('ctx:ttl');
      expect(ttl).toBeGreaterThan(4000);
      expect(ttl).toBeLessThanOrEqual(5000);
    });

    it('skipCache: not cached, yet shared with the callers of the same flight', async () => {
      let loads = 0;
      const loader = async (load: { skipCache(): void }) => {
        loads++;
        await sleep(30);
        load.skipCache();
        return `draft ${loads}`;
      };
      const together = await Promise.all(
        Array.from({ length: 10 }, () => node.cache.getOrLoad('ctx:skip', loader)),
      );
      expect(new Set(together)).toEqual(new Set(['draft 1']));
      expect(loads).toBe(1);
      expect(await redis.exists(`${prefix}:{ctx:skip}`)).toBe(0);
      expect(await node.cache.getOrLoad('ctx:skip', loader)).toBe('draft 2');
    });

    it('skipCache: callers waiting in another instance get the same result, one load in all', async () => {
      const peer = await startCacheApp({ keyPrefix: prefix, earlyRefresh: false });
      try {
        let loads = 0;
        const loader = async (load: { skipCache(): void }) => {
          loads++;
          await sleep(150);
          load.skipCache();
          return `draft ${loads}`;
        };
        const holder = node.cache.getOrLoad('ctx:handoff', loader);
        await sleep(20); // the holder has the lease
        const waiters = await Promise.all(
          Array.from({ length: 5 }, () => peer.cache.getOrLoadWithStatus('ctx:handoff', loader)),
        );
        expect(await holder).toBe('draft 1');
        expect(waiters).toEqual(
          Array.from({ length: 5 }, () => ({ value: 'draft 1', status: 'MISS' })),
        );
        expect(loads).toBe(1);
        expect(await redis.exists(`${prefix}:{ctx:handoff}`)).toBe(0);
        // a caller that starts afterwards doesn't get the handed-off result: it loads
        expect(await peer.cache.getOrLoad('ctx:handoff', loader)).toBe('draft 2');
      } finally {
        await peer.close();
      }
    });

    it('addTags: the entry belongs to the tags the loader added', async () => {
      let version = 1;
      const read = () =>
        node.cache.getOrLoad('ctx:tags', (load) => {
          load.addTags('brand:acme');
          return `v${version}`;
        });
      expect(await read()).toBe('v1');
      version = 2;
      expect(await read()).toBe('v1');
      expect(await node.cache.invalidateTags('brand:acme')).toBe(true);
      expect(await read()).toBe('v2');
    });

    it('addTags: a tag invalidated while the load ran keeps its result out', async () => {
      const readTheRow = deferred();
      const writerDone = deferred();
      const load = node.cache.getOrLoad('ctx:tag-race', async (context) => {
        readTheRow.resolve();
        await writerDone.promise;
        context.addTags('brand:race');
        return 'old row';
      });
      await readTheRow.promise;
      expect(await node.cache.invalidateTags('brand:race')).toBe(true);
      writerDone.resolve();
      expect(await load).toBe('old row');
      expect(await node.cache.get('ctx:tag-race')).toBeUndefined();
    });

    it('a TTL that is not a positive number is a clear error in the loader', async () => {
      await expect(
        node.cache.getOrLoad('ctx:bad-ttl', (load) => {
          load.setTtlSeconds(-1);
          return 'x';
        }),
      ).rejects.toThrow(CacheOptionsError);
    });
  });

  describe('through decorated methods: ttlFromResult, tagsFromResult, unless', () => {
    it('each result gets what it chose', async () => {
      const service = node.app.get(ProductService);
      service.products.set(1, { id: 1, onSale: false, draft: false, category: 'tools' });
      service.products.set(2, { id: 2, onSale: true, draft: false, category: 'tools' });
      service.products.set(3, { id: 3, onSale: false, draft: true, category: 'toys' });
      await service.findOne(1);
      await service.findOne(2);
      await service.findOne(3);
      expect(await ttlOf('product:1')).toBeGreaterThan(3_500_000);
      expect(await ttlOf('product:2')).toBeLessThanOrEqual(2000);
      expect(await redis.exists(`${prefix}:{product:3}`)).toBe(0);
      const loads = service.loads;
      await service.findOne(1);
      expect(service.loads).toBe(loads);
      service.products.set(1, { id: 1, onSale: false, draft: false, category: 'tools' });
      expect(await node.cache.invalidateTags('category:tools')).toBe(true);
      await service.findOne(1);
      expect(service.loads).toBe(loads + 1);
    });
  });
});
