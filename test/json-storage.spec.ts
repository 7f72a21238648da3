import { Injectable, Logger } from '@nestjs/common';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Cacheable, CachePatch } from 'nest-cache-aside';
import { deferred, startCacheApp, type CacheApp } from './support/cache-app';
import {
  connectTestRedis,
  deletePrefix,
  REDIS_URL,
  uniquePrefix,
  type TestRedis,
} from './support/redis';

jest.setTimeout(30_000);

/*
 * `storage: 'json'` keeps an entry as a RedisJSON document. The Redis of this project
 * (and of its CI) has no RedisJSON module, so here the suite checks the detection and
 * the fallback to hashes for real; the tests of the JSON commands themselves are
 * skipped unless REDIS_URL points at a server with RedisJSON (Redis Stack, Redis 8).
 */
// COMMAND INFO names a known command ("json.set") and prints an empty reply for an unknown one.
const SERVER_HAS_JSON = /json\.set/i.test(
  execFileSync('redis-cli', ['-u', REDIS_URL, 'COMMAND', 'INFO', 'JSON.SET']).toString(),
);
const withJson = SERVER_HAS_JSON ? it : it.skip;
const withoutJson = SERVER_HAS_JSON ? it.skip : it;

interface Product {
  id: number;
  name: string;
  price: { amount: number; currency: string };
  dimensions: { widthCm: number; heightCm: number };
  updatedAt: Date;
}

@Injectable()
class ProductService {
  loads = 0;
  readonly rows = new Map<number, Product>();

  @Cacheable({ key: 'product:{0}', ttlSeconds: 60, storage: 'json' })
  async find(id: number): Promise<Product | null> {
    this.loads++;
    const row = this.rows.get(id);
    return row ? structuredClone(row) : null;
  }

  @CachePatch<Product>({
    key: 'product:{0}',
    fields: (product) => ({ 'price.amount': product.price.amount, updatedAt: product.updatedAt }),
  })
  async reprice(id: number, amount: number): Promise<Product> {
    const row = this.rows.get(id)!;
    row.price.amount = amount;
    row.updatedAt = new Date();
    return structuredClone(row);
  }
}

function product(id: number): Product {
  return {
    id,
    name: `Lamp ${id}`,
    price: { amount: 1000, currency: 'EUR' },
    dimensions: { widthCm: 20, heightCm: 40 },
    updatedAt: new Date('2024-02-29T12:00:00.123Z'),
  };
}

describe("storage 'json' (real Redis)", () => {
  const prefix = uniquePrefix('json');
  let redis: TestRedis;
  let node: CacheApp;
  let products: ProductService;
  let warn: jest.SpyInstance;

  beforeAll(async () => {
    warn = jest.spyOn(Logger.prototype, 'warn');
    redis = await connectTestRedis();
    node = await startCacheApp(
      { keyPrefix: prefix, earlyRefresh: false },
      { providers: [ProductService] },
    );
    products = node.app.get(ProductService);
    for (let id = 1; id <= 10; id++) products.rows.set(id, product(id));
  });

  afterAll(async () => {
    warn.mockRestore();
    await node.close();
    await deletePrefix(redis, prefix);
    redis.destroy();
  });

  const valueKey = (key: string) => `${prefix}:{${key}}`;

  it('finds out on connect whether the server has RedisJSON, as COMMAND INFO tells', async () => {
    expect(await node.store.detectJsonModule()).toBe(SERVER_HAS_JSON);
    expect(node.store.supportsJson()).toBe(SERVER_HAS_JSON);
  });

  it('every script, the JSON branches included, compiles on the server', async () => {
    const scripts = join(__dirname, '../libs/cache-aside/src/scripts');
    const files = readdirSync(scripts).filter((name) => name.endsWith('.lua'));
    expect(files).toContain('patch-json-entry.lua');
    for (const file of files) {
      await expect(redis.scriptLoad(readFileSync(join(scripts, file), 'utf8'))).resolves.toMatch(
        /^[0-9a-f]{40}$/,
      );
    }
  });

  describe('without RedisJSON: kept as hashes', () => {
    withoutJson('caches and reads back as a hash, Dates as Dates, and warns once', async () => {
      warn.mockClear();
      const first = await products.find(1);
      expect(await products.find(1)).toEqual(first);
      expect((await products.find(1))!.updatedAt).toBeInstanceOf(Date);
      await products.find(2);
      expect(products.loads).toBe(2);
      expect(await redis.type(valueKey('product:1'))).toBe('hash');
      const jsonWarnings = warn.mock.calls.filter(([message]) =>
        String(message).includes("storage 'json' needs RedisJSON"),
      );
      expect(jsonWarnings).toHaveLength(1);
    });

    withoutJson('a top-level patch applies in place; a nested path evicts the entry', async () => {
      await products.find(3);
      const loads = products.loads;
      const at = new Date('2025-01-01T00:00:00Z');
      expect(await node.cache.patch('product:3', { name: 'Desk lamp', updatedAt: at })).toBe(
        'patched',
      );
      expect(await products.find(3)).toEqual({ ...product(3), name: 'Desk lamp', updatedAt: at });
      expect(products.loads).toBe(loads); // served from the patched hash

      // @CachePatch sets 'price.amount': a hash can't address it, so the entry goes
      await products.reprice(3, 1500);
      expect(await redis.exists(valueKey('product:3'))).toBe(0);
      expect((await products.find(3))!.price.amount).toBe(1500);
      expect(products.loads).toBe(loads + 1);
    });

    withoutJson('a nested patch of a missing entry creates nothing', async () => {
      expect(await node.cache.patch('product:absent', { 'price.amount': 1 })).toBe('absent');
      expect(await redis.exists(valueKey('product:absent'))).toBe(0);
    });
  });

  describe('a key of a type the cache never writes', () => {
    it('is a miss (counted as corrupt), and the fill replaces it', async () => {
      await redis.sAdd(valueKey('foreign'), 'member');
      const before = node.cache.stats().corruptEntries;
      const result = await node.cache.getOrLoadWithStatus('foreign', async () => 'loaded', {
        storage: 'json',
      });
      expect(result).toEqual({ value: 'loaded', status: 'MISS' });
      expect(node.cache.stats().corruptEntries).toBeGreaterThan(before);
      expect(
        await node.cache.getOrLoadWithStatus('foreign', async () => 'again', { storage: 'json' }),
      ).toEqual({ value: 'loaded', status: 'HIT', source: 'redis' });
    });
  });

  // Run only against a server with RedisJSON: never run in this project's CI (see above).
  describe('with RedisJSON', () => {
    withJson('keeps a document and reads it back whole, special values revived', async () => {
      const first = await products.find(4);
      expect(await redis.type(valueKey('product:4'))).toBe('ReJSON-RL');
      expect(await products.find(4)).toEqual(first);
      expect((await products.find(4))!.updatedAt).toBeInstanceOf(Date);
      expect(products.loads).toBe(1);
    });

    withJson('patches nested paths in place: TTL kept, the rest untouched', async () => {
      await products.find(5);
      const loads = products.loads;
      await redis.pExpire(valueKey('product:5'), 50_000);
      await products.reprice(5, 1234);
      expect(await redis.pTTL(valueKey('product:5'))).toBeGreaterThan(45_000);
      const cached = await products.find(5);
      expect(cached!.price).toEqual({ amount: 1234, currency: 'EUR' });
      expect(cached!.updatedAt).toBeInstanceOf(Date);
      expect(cached!.dimensions).toEqual(product(5).dimensions);
      expect(products.loads).toBe(loads);
      // a path whose parent doesn't exist can't be set: the entry goes instead
      expect(await node.cache.patch('product:5', { 'missing.deeper': 1 })).toBe('evicted');
      // a path through a special value (a Date) likewise
      await products.find(5);
      expect(await node.cache.patch('product:5', { 'updatedAt.x': 1 })).toBe('evicted');
    });

    withJson('a patch racing a fill wins: the older load cannot land', async () => {
      const gate = deferred();
      const loading = node.cache.getOrLoad(
        'product:race',
        async () => {
          await gate.promise;
          return product(6);
        },
        { storage: 'json' },
      );
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(await node.cache.patch('product:race', { 'price.amount': 1 })).toBe('absent');
      gate.resolve();
      await loading;
      expect(await redis.exists(valueKey('product:race'))).toBe(0);
    });
  });
});
