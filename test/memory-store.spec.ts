import { ConsoleLogger, Injectable, type INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import {
  Cacheable,
  CacheAsideModule,
  CacheAsideService,
  CacheEvict,
  CachePatch,
} from 'nest-cache-aside';
import { CACHE_ASIDE_REDIS_CONNECTION } from '../libs/cache-aside/src/redis/redis-connection';
import { deferred, sleep } from './support/cache-app';
import { freePort } from './support/own-redis';

interface Product {
  id: number;
  name: string;
  priceCents: number;
  updatedAt: Date;
}

/** A "database" the tests can change behind the cache's back, counting its loads. */
@Injectable()
class ProductService {
  loads = 0;
  rows = new Map<number, Product>();
  /** Set to hold the next load until the test releases it (a slow query). */
  gate?: Promise<void>;

  @Cacheable({ key: 'product:{0}', ttlSeconds: 60, storage: 'hash', tags: ['catalog'] })
  async find(id: number): Promise<Product | null> {
    this.loads++;
    const row = this.rows.get(id);
    const copy = row ? { ...row } : null;
    await this.gate;
    return copy;
  }

  @Cacheable({ key: 'short:{0}', ttlSeconds: 0.2 })
  async short(id: number): Promise<number> {
    this.loads++;
    return id;
  }

  @Cacheable({ key: 'page:{0}', ttlSeconds: 60, tags: ['category:{0}'] })
  async page(category: string): Promise<string> {
    this.loads++;
    return `${category} v${this.loads}`;
  }

  @CacheEvict('product:{0}')
  async rename(id: number, name: string): Promise<void> {
    this.rows.get(id)!.name = name;
  }

  @CacheEvict({ tags: 'category:{0}' })
  async changeCategory(_category: string): Promise<void> {}

  @CachePatch<Product>({ key: 'product:{0}', fields: ['priceCents', 'updatedAt'] })
  async reprice(id: number, priceCents: number): Promise<Product> {
    const row = this.rows.get(id)!;
    row.priceCents = priceCents;
    row.updatedAt = new Date(Date.UTC(2026, 0, 2));
    return { ...row };
  }
}

describe("forRoot({ store: 'memory' }): decorated services without Redis", () => {
  let app: INestApplicationContext;
  let products: ProductService;
  const messages: string[] = [];
  let initMs: number;

  beforeAll(async () => {
    const logger = new ConsoleLogger();
    for (const level of ['log', 'warn', 'error', 'debug', 'verbose'] as const) {
      logger[level] = (message: unknown) => void messages.push(`${level}: ${String(message)}`);
    }
    const started = Date.now();
    const moduleRef = await Test.createTestingModule({
      // a Redis URL nobody listens on: the memory store must never try it
      imports: [
        CacheAsideModule.forRoot({
          store: 'memory',
          redis: `redis://127.0.0.1:${await freePort()}`,
        }),
      ],
      providers: [ProductService],
    })
      .setLogger(logger)
      .compile();
    app = await moduleRef.init();
    initMs = Date.now() - started;
    products = app.get(ProductService);
  });
  afterAll(() => app.close());

  beforeEach(async () => {
    await app.get(CacheAsideService).del('product:1', 'product:404');
    products.loads = 0;
    products.gate = undefined;
    products.rows.set(1, {
      id: 1,
      name: 'Lamp',
      priceCents: 1000,
      updatedAt: new Date(Date.UTC(2026, 0, 1)),
    });
  });

  it('creates no Redis connection, does not wait for one, and logs nothing about Redis', async () => {
    expect(app.get(CACHE_ASIDE_REDIS_CONNECTION)).toBeNull();
    expect(initMs).toBeLessThan(1000);
    expect(await app.get(CacheAsideService).isAvailable()).toBe(true);
    expect(messages.filter((message) => /redis/i.test(message))).toEqual([]);
  });

  it('1000 concurrent calls of a missing key run the loader once, and all get its result', async () => {
    const release = deferred();
    products.gate = release.promise;
    const calls = Array.from({ length: 1000 }, () => products.find(1));
    await sleep(20);
    release.resolve();
    const results = await Promise.all(calls);
    expect(products.loads).toBe(1);
    expect(new Set(results.map((result) => result?.name))).toEqual(new Set(['Lamp']));
  });

  it('keeps exact values through the codec: Dates stay Dates, null stays null', async () => {
    const first = await products.find(1);
    const cached = await products.find(1);
    expect(products.loads).toBe(1);
    expect(cached).toEqual(first);
    expect(cached!.updatedAt).toBeInstanceOf(Date);
    expect(await products.find(404)).toBeNull();
    expect(await products.find(404)).toBeNull();
    expect(products.loads).toBe(2);
  });

  it('entries expire after their TTL', async () => {
    await products.short(1);
    await products.short(1);
    expect(products.loads).toBe(1);
    await sleep(250);
    await products.short(1);
    expect(products.loads).toBe(2);
  });

  it('with grace, a stale value is served while the loader fails, but only until ttl + grace', async () => {
    const cache = app.get(CacheAsideService);
    const options = { ttlSeconds: 0.1, graceSeconds: 0.2 };
    const failing = () => Promise.reject(new Error('database down'));
    await cache.getOrLoad('graceful', () => 'loaded', options);
    await sleep(150);
    expect(await cache.getOrLoadWithStatus('graceful', failing, options)).toEqual({
      value: 'loaded',
      status: 'STALE',
    });
    await sleep(200);
    await expect(cache.getOrLoadWithStatus('graceful', failing, options)).rejects.toThrow(
      'database down',
    );
  });

  it('@CacheEvict deletes the entry: the next call loads the new row', async () => {
    await products.find(1);
    await products.rename(1, 'Desk lamp');
    expect((await products.find(1))?.name).toBe('Desk lamp');
    expect(products.loads).toBe(2);
  });

  it('no stale set: an eviction during a load keeps that (older) load from filling', async () => {
    const release = deferred();
    products.gate = release.promise;
    const inFlight = products.find(1); // reads the old row, then waits
    await sleep(20);
    await products.rename(1, 'Renamed');
    release.resolve();
    expect((await inFlight)?.name).toBe('Lamp'); // its caller gets what it read
    products.gate = undefined;
    expect((await products.find(1))?.name).toBe('Renamed');
    expect(products.loads).toBe(2);
  });

  it('@CacheEvict({ tags }) deletes every entry of the tag, and only those', async () => {
    await Promise.all([products.page('toys'), products.page('books')]);
    await products.changeCategory('toys');
    await products.page('toys');
    await products.page('books');
    expect(products.loads).toBe(3);
    await app.get(CacheAsideService).invalidateTags('catalog');
    await products.find(1);
    await products.page('books');
    expect(products.loads).toBe(4);
  });

  it('@CachePatch updates the cached hash entry in place, without a reload', async () => {
    await products.find(1);
    const updated = await products.reprice(1, 900);
    const cached = await products.find(1);
    expect(products.loads).toBe(1);
    expect(cached).toEqual(updated);
    expect(cached!.updatedAt).toEqual(new Date(Date.UTC(2026, 0, 2)));
  });
});
