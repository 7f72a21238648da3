import { Injectable } from '@nestjs/common';
import { Cacheable, CachePatch } from 'nest-cache-aside';
import { deferred, sleep, startCacheApp, type CacheApp } from './support/cache-app';
import { connectTestRedis, deletePrefix, uniquePrefix, type TestRedis } from './support/redis';
import { loadThatWaits, SqliteRows, type Row } from './support/sqlite-rows';

jest.setTimeout(30_000);

interface Product {
  id: number;
  name: string;
  priceCents: number;
  stock: number;
  updatedAt: Date;
}

@Injectable()
class ProductService {
  loads = 0;
  readonly rows = new Map<number, Product>();

  @Cacheable({ key: 'product:{0}', ttlSeconds: 60, storage: 'hash' })
  async find(id: number): Promise<Product | null> {
    this.loads++;
    const row = this.rows.get(id);
    return row ? { ...row } : null;
  }

  @CachePatch<Product>({ key: 'product:{0}', fields: ['priceCents', 'updatedAt'] })
  async reprice(id: number, priceCents: number): Promise<Product> {
    const row = this.rows.get(id)!;
    row.priceCents = priceCents;
    row.updatedAt = new Date();
    return { ...row };
  }
}

describe('partial updates of hash entries (real Redis, real SQLite)', () => {
  const prefix = uniquePrefix('patch');
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

  const hashKey = (key: string) => `${prefix}:{${key}}`;

  it('round-trips every supported type through hash fields', async () => {
    const value = {
      at: new Date('2024-02-29T12:00:00.123Z'),
      big: 2n ** 80n,
      tags: new Set(['x']),
      byId: new Map([[1, { when: new Date(0) }]]),
      none: null,
      nested: { list: [1, 'two', { three: 3n }], empty: [] as unknown[] },
      text: 'plain',
      weird: Number.NaN,
    };
    const loaded = await node.cache.getOrLoad('types:1', async () => value, { storage: 'hash' });
    const cached = await node.cache.getOrLoadWithStatus('types:1', async () => ({}), {
      storage: 'hash',
    });
    expect(cached.status).toBe('HIT');
    expect(cached.value).toEqual(loaded);
    expect((cached.value as typeof value).at).toBeInstanceOf(Date);
    expect(await redis.type(hashKey('types:1'))).toBe('hash');
    expect(await redis.hGet(hashKey('types:1'), '.text')).toContain('plain');
    // non-record values are kept whole
    expect(await node.cache.getOrLoad('types:2', async () => [1, 2], { storage: 'hash' })).toEqual([
      1, 2,
    ]);
    expect(await node.cache.getOrLoad('types:2', async () => [], { storage: 'hash' })).toEqual([
      1, 2,
    ]);
  });

  it('patches fields of an existing entry in place: fields change, TTL kept, the rest untouched', async () => {
    await node.cache.getOrLoad(
      'item:1',
      async () => ({ name: 'Lamp', priceCents: 1000, stock: 3, updatedAt: new Date(0) }),
      { storage: 'hash', ttlSeconds: 100 },
    );
    await redis.pExpire(hashKey('item:1'), 50_000); // a TTL the patch must not reset
    const newDate = new Date('2025-01-01T00:00:00Z');
    expect(await node.cache.patch('item:1', { priceCents: 900, updatedAt: newDate })).toBe(
      'patched',
    );
    const ttl = await redis.pTTL(hashKey('item:1'));
    expect(ttl).toBeGreaterThan(45_000);
    expect(ttl).toBeLessThanOrEqual(50_000);
    const cached = await node.cache.getOrLoadWithStatus('item:1', async () => null, {
      storage: 'hash',
    });
    expect(cached).toEqual({
      status: 'HIT',
      source: 'redis',
      value: { name: 'Lamp', priceCents: 900, stock: 3, updatedAt: newDate },
    });
    expect(
      await node.cache.getFields<{ priceCents: number; stock: number }>('item:1', ['priceCents']),
    ).toEqual({
      priceCents: 900,
    });
  });

  it('removes a field when the patch sets it to undefined', async () => {
    await node.cache.getOrLoad('item:2', async () => ({ a: 1, b: 2 }), { storage: 'hash' });
    expect(await node.cache.patch('item:2', { b: undefined })).toBe('patched');
    expect(await redis.hExists(hashKey('item:2'), '.b')).toBe(0);
    expect(await node.cache.getOrLoad('item:2', async () => ({}), { storage: 'hash' })).toEqual({
      a: 1,
    });
  });

  it('never creates a half entry when the entry is missing', async () => {
    expect(await node.cache.patch('item:absent', { priceCents: 1 })).toBe('absent');
    expect(await redis.exists(hashKey('item:absent'))).toBe(0);
  });

  it('evicts a string entry instead of patching it', async () => {
    await node.cache.getOrLoad('item:string', async () => ({ a: 1 }));
    expect(await node.cache.patch('item:string', { a: 2 })).toBe('evicted');
    expect(await redis.exists(hashKey('item:string'))).toBe(0);
  });

  it('@CachePatch updates the cached entity from the method result, without a reload', async () => {
    const products = node.app.get(ProductService);
    products.rows.set(7, {
      id: 7,
      name: 'Desk',
      priceCents: 5000,
      stock: 2,
      updatedAt: new Date(0),
    });
    await products.find(7);
    const updated = await products.reprice(7, 4500);
    const cached = await products.find(7);
    expect(products.loads).toBe(1);
    expect(cached).toEqual({ ...updated, stock: 2 });
    expect(cached?.priceCents).toBe(4500);
    expect(cached?.updatedAt).toBeInstanceOf(Date);
  });

  describe('a patch racing a fill: the patch wins', () => {
    let rows: SqliteRows;
    beforeEach(() => (rows = new SqliteRows(5)));
    afterEach(async () => {
      node.store.unsafeSkipLeaseCheck = false;
      rows.close();
      await node.cache.del('row:1', 'row:2');
    });

    async function patchDuringLoad(id: number): Promise<Row | undefined> {
      const key = `row:${id}`;
      const slow = loadThatWaits(rows, id);
      const load = node.cache.getOrLoad(key, slow.load, { storage: 'hash' });
      await slow.hasRead;
      rows.bump(id);
      await node.cache.patch(key, { version: rows.read(id).version });
      slow.finish();
      await load;
      return node.cache
        .get<Row>(key)
        .then(
          async (v) =>
            v ?? ((await node.cache.getFields<Row>(key, ['id', 'version'])) as Row | undefined),
        );
    }

    it('a load that read the row before the write cannot overwrite the patch (entry absent: nothing stale lands)', async () => {
      const cached = await patchDuringLoad(1);
      expect(cached).toBeUndefined();
      const next = await node.cache.getOrLoad('row:1', async () => rows.read(1), {
        storage: 'hash',
      });
      expect(next.version).toBe(2);
    });

    it('without the lease check (test-only switch) the same race leaves the old row cached', async () => {
      node.store.unsafeSkipLeaseCheck = true;
      const cached = await patchDuringLoad(2);
      expect(cached?.version).toBe(1);
      expect(rows.read(2).version).toBe(2);
    });

    it('an early refresh in flight on an existing entry is cancelled by the patch', async () => {
      await node.cache.getOrLoad(
        'row:1',
        async () => {
          await sleep(5); // a measurable load time: XFetch scales with it
          return rows.read(1);
        },
        { storage: 'hash' },
      );
      const refreshStarted = deferred();
      const writerDone = deferred();
      const hit = await node.cache.getOrLoadWithStatus(
        'row:1',
        async () => {
          const row = rows.read(1);
          refreshStarted.resolve();
          await writerDone.promise;
          return row;
        },
        { storage: 'hash', earlyRefresh: 1e9 },
      );
      expect(hit.status).toBe('HIT');
      await refreshStarted.promise;
      rows.bump(1);
      expect(await node.cache.patch('row:1', { version: 2 })).toBe('patched');
      writerDone.resolve();
      await sleep(50);
      expect((await node.cache.getFields<Row>('row:1', ['version']))?.version).toBe(2);
    });
  });
});
