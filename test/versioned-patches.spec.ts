import { Injectable } from '@nestjs/common';
import { Cacheable, CachePatch } from 'nest-cache-aside';
import { deferred, startCacheApp, type CacheApp } from './support/cache-app';
import { connectTestRedis, deletePrefix, uniquePrefix, type TestRedis } from './support/redis';
import { SqliteRows, type Row } from './support/sqlite-rows';

jest.setTimeout(30_000);

/**
 * Two writers of one row: each writes the database, reads the row back and patches the
 * cached entry. `holdBeforePatch` lets a test delay a writer's patch until after the
 * other writer's, the interleaving that leaves the older row cached without versions.
 */
@Injectable()
class RowWriters {
  rows!: SqliteRows;
  holdBeforePatch: Promise<void> = Promise.resolve();
  readBack = deferred();

  @Cacheable({ key: 'row:{0}', ttlSeconds: 60, storage: 'hash' })
  async find(id: number): Promise<Row> {
    return this.rows.read(id);
  }

  @CachePatch<Row>({ key: 'row:{0}', fields: ['updatedAt'], version: 'version' })
  async touchVersioned(id: number): Promise<Row> {
    return this.write(id);
  }

  @CachePatch<Row>({ key: 'row:{0}', fields: ['updatedAt', 'version'] })
  async touchUnversioned(id: number): Promise<Row> {
    return this.write(id);
  }

  private async write(id: number): Promise<Row> {
    this.rows.bump(id);
    const row = this.rows.read(id);
    this.readBack.resolve();
    await this.holdBeforePatch;
    return row;
  }
}

describe('versioned patches: concurrent writers (real Redis, real SQLite)', () => {
  const prefix = uniquePrefix('versioned');
  let redis: TestRedis;
  let node: CacheApp;
  let writers: RowWriters;
  let rows: SqliteRows;

  beforeAll(async () => {
    redis = await connectTestRedis();
    node = await startCacheApp(
      { keyPrefix: prefix, earlyRefresh: false },
      { providers: [RowWriters] },
    );
    writers = node.app.get(RowWriters);
  });

  beforeEach(() => {
    rows = new SqliteRows(5);
    writers.rows = rows;
    writers.holdBeforePatch = Promise.resolve();
    writers.readBack = deferred();
  });

  afterEach(async () => {
    rows.close();
    await deletePrefix(redis, prefix);
  });

  afterAll(async () => {
    await node.close();
    redis.destroy();
  });

  /** Writer 1 writes first but patches last; returns what the cache then serves. */
  async function patchesInTheOtherOrder(touch: 'touchVersioned' | 'touchUnversioned') {
    await writers.find(1);
    const release = deferred();
    writers.holdBeforePatch = release.promise;
    const first = writers[touch](1); // version 2, patch held back
    await writers.readBack.promise;
    writers.holdBeforePatch = Promise.resolve();
    await writers[touch](1); // version 3, patched at once
    release.resolve();
    await first;
    return node.cache.getFields<Row>('row:1', ['version']);
  }

  it('patches arriving in the other order: the entry is never left older than the row', async () => {
    // version 3's patch finds version 1 cached (version 2's patch hasn't landed): it can't
    // know version 2's changes, so the entry goes; version 2's patch then finds nothing
    expect(await patchesInTheOtherOrder('touchVersioned')).toBeUndefined();
    expect(rows.read(1).version).toBe(3);
    expect((await writers.find(1)).version).toBe(3);
  });

  it('without a version the older patch lands last and the entry is stale', async () => {
    expect(await patchesInTheOtherOrder('touchUnversioned')).toEqual({ version: 2 });
    expect(rows.read(1).version).toBe(3);
  });

  it('applies a newer version, and leaves the entry as it is for the same or an older one', async () => {
    await node.cache.getOrLoad('item', async () => ({ priceCents: 1000, version: 3 }), {
      storage: 'hash',
    });
    const patch = (priceCents: number, version: number) =>
      node.cache.patch('item', { priceCents, version }, { version: 'version' });
    expect(await patch(1200, 4)).toBe('patched');
    expect(await patch(1100, 4)).toBe('outdated');
    expect(await patch(900, 2)).toBe('outdated');
    expect(await node.cache.get('item')).toEqual({ priceCents: 1200, version: 4 });
  });

  it("evicts instead of skipping a version: another write's fields would be missing", async () => {
    // the soak's case: price (version 2) and stock (version 3) written by two instances;
    // the stock's patch reaches Redis first, over version 1
    await node.cache.getOrLoad('product', async () => ({ price: 10, stock: 5, version: 1 }), {
      storage: 'hash',
    });
    const patch = (changes: object) =>
      node.cache.patch('product', changes as Record<string, unknown>, { version: 'version' });
    expect(await patch({ stock: 4, version: 3 })).toBe('evicted');
    expect(await patch({ price: 12, version: 2 })).toBe('absent');
    expect(await redis.exists(`${prefix}:{product}`)).toBe(0);
  });

  it('evicts an entry it cannot compare: no cached version, or no number in the patch', async () => {
    await node.cache.getOrLoad('no-version', async () => ({ priceCents: 1 }), {
      storage: 'hash',
    });
    expect(
      await node.cache.patch('no-version', { priceCents: 2, version: 5 }, { version: 'version' }),
    ).toBe('evicted');
    expect(await redis.exists(`${prefix}:{no-version}`)).toBe(0);

    await node.cache.getOrLoad('bad-patch', async () => ({ priceCents: 1, version: 1 }), {
      storage: 'hash',
    });
    expect(
      await node.cache.patch('bad-patch', { priceCents: 2, version: '2' }, { version: 'version' }),
    ).toBe('evicted');
    expect(await redis.exists(`${prefix}:{bad-patch}`)).toBe(0);
  });

  it('a versioned patch of a missing entry creates nothing', async () => {
    expect(await node.cache.patch('absent', { version: 9 }, { version: 'version' })).toBe('absent');
    expect(await redis.exists(`${prefix}:{absent}`)).toBe(0);
  });
});
