import { Injectable } from '@nestjs/common';
import { Cacheable, CacheEvict } from 'nest-cache-aside';
import { deferred, startCacheApp, type CacheApp } from './support/cache-app';
import { connectTestRedis, deletePrefix, uniquePrefix, type TestRedis } from './support/redis';
import { SqliteRows, type Row } from './support/sqlite-rows';

jest.setTimeout(30_000);

@Injectable()
class PageService {
  loads = 0;

  @Cacheable({ key: 'page:{0}:{1}', ttlSeconds: 60, tags: ['category:{0}'] })
  async page(category: string, page: number): Promise<string> {
    this.loads++;
    return `${category} page ${page} v${this.loads}`;
  }

  @CacheEvict({ tags: 'category:{0}' })
  async changeCategory(_category: string): Promise<void> {}

  @CacheEvict({ tagsFromResult: (moved: { from: string }) => `category:${moved.from}` })
  async moveOut(_page: number): Promise<{ from: string }> {
    return { from: 'toys' };
  }
}

describe('tags (real Redis, real SQLite)', () => {
  const prefix = uniquePrefix('tags');
  let redis: TestRedis;
  let node: CacheApp;
  let rows: SqliteRows;

  beforeAll(async () => {
    redis = await connectTestRedis();
    node = await startCacheApp(
      { keyPrefix: prefix, earlyRefresh: false },
      { providers: [PageService] },
    );
    rows = new SqliteRows(10);
  });

  afterAll(async () => {
    await node.close();
    rows.close();
    await deletePrefix(redis, prefix);
    redis.destroy();
  });

  it('invalidates every entry of a tag, and only those, in O(1) commands', async () => {
    const tagged = Array.from({ length: 1200 }, (_, i) => `item:${i}`);
    for (let i = 0; i < tagged.length; i += 100) {
      await Promise.all(
        tagged
          .slice(i, i + 100)
          .map((key) => node.cache.getOrLoad(key, async () => key, { tags: ['bulk'] })),
      );
    }
    await node.cache.getOrLoad('item:other', async () => 'other', { tags: ['elsewhere'] });
    expect(await node.cache.get('item:7')).toBe('item:7');

    expect(await node.cache.invalidateTags('bulk')).toBe(true);
    const served = await Promise.all(tagged.map((key) => node.cache.get(key)));
    expect(served.filter((value) => value !== undefined)).toEqual([]);
    expect(await node.cache.get('item:other')).toBe('other');
    // one version key per tag, whatever the number of entries: no member set to grow
    expect(await redis.type(`${prefix}:tag-version:{bulk}`)).toBe('string');
    expect(await redis.exists(`${prefix}:tag:{bulk}`)).toBe(0);
    const reloaded = await node.cache.getOrLoadWithStatus('item:7', async () => 'again', {
      tags: ['bulk'],
    });
    expect(reloaded).toEqual({ value: 'again', status: 'MISS' });
    expect(await node.cache.get('item:7')).toBe('again');
  });

  it('decorators: @Cacheable joins tags built from arguments, @CacheEvict({ tags }) clears them', async () => {
    const pages = node.app.get(PageService);
    await pages.page('tools', 1);
    await pages.page('tools', 2);
    await pages.page('toys', 1);
    await pages.page('tools', 1);
    expect(pages.loads).toBe(3);
    await pages.changeCategory('tools');
    expect(await pages.page('tools', 1)).toBe('tools page 1 v4');
    expect(await pages.page('toys', 1)).toBe('toys page 1 v3');
    expect(pages.loads).toBe(4);
    await pages.moveOut(1); // tags from the result
    expect(await pages.page('toys', 1)).toBe('toys page 1 v5');
  });

  async function raceTagInvalidation(options: { fromResult: boolean }): Promise<Row | undefined> {
    const key = options.fromResult ? 'row:2' : 'row:1';
    const id = options.fromResult ? 2 : 1;
    const readTheRow = deferred();
    const writerDone = deferred();
    const load = node.cache.getOrLoad(
      key,
      async () => {
        const row = rows.read(id);
        readTheRow.resolve();
        await writerDone.promise; // the write and the tag invalidation happen here
        return row;
      },
      options.fromResult
        ? { tagsFromResult: (row: Row) => [`rows:${row.id % 2}`] }
        : { tags: ['rows'] },
    );
    await readTheRow.promise;
    rows.bump(id);
    await node.cache.invalidateTags(options.fromResult ? 'rows:0' : 'rows');
    writerDone.resolve();
    await load;
    return node.cache.get<Row>(key);
  }

  it('a fill that began before the tag was invalidated cannot land (tags from arguments)', async () => {
    expect(await raceTagInvalidation({ fromResult: false })).toBeUndefined();
    expect(
      (await node.cache.getOrLoad('row:1', async () => rows.read(1), { tags: ['rows'] })).version,
    ).toBe(2);
  });

  it('a fill that began before the tag was invalidated cannot land (tags from the result)', async () => {
    expect(await raceTagInvalidation({ fromResult: true })).toBeUndefined();
  });

  it.each([
    ['an entry', { ttlSeconds: 5 }, 'value'],
    ['a "not found" entry with a longer TTL', { ttlSeconds: 1, notFoundTtlSeconds: 120 }, null],
    ['an entry kept for grace', { ttlSeconds: 1, graceSeconds: 90 }, 'value'],
  ])("a tag's version outlives %s, and is not kept forever", async (_label, options, value) => {
    const key = `lifetime:${_label.length}`;
    await node.cache.getOrLoad(key, async () => value, { tags: [key], ...options });
    const entryTtl = await redis.pTTL(`${prefix}:{${key}}`);
    const tagTtl = await redis.pTTL(`${prefix}:tag-version:{${key}}`);
    expect(entryTtl).toBeGreaterThan(0);
    expect(tagTtl).toBeGreaterThanOrEqual(entryTtl);
    // plus the margin kept for clock drift, twice: keep-tag.lua gives the key twice the
    // life it needs, so that fills don't touch it (each touch reaches every near cache)
    expect(tagTtl).toBeLessThanOrEqual(2 * (entryTtl + 60_000) + 1_000);
  });

  it('a "not found" entry is invalidated by its tag for its whole life (read your own insert)', async () => {
    let product: string | null = null;
    const read = () =>
      node.cache.getOrLoad('category-page:7', async () => product, {
        tags: ['category:7'],
        ttlSeconds: 1,
        notFoundTtlSeconds: 120,
      });
    expect(await read()).toBeNull();
    // as if a minute had passed: only the tag's version key is left to remember the invalidation
    expect(await redis.pTTL(`${prefix}:tag-version:{category:7}`)).toBeGreaterThan(119_000);
    product = 'created';
    expect(await node.cache.invalidateTags('category:7')).toBe(true);
    expect(await read()).toBe('created');
  });

  it('evictAll invalidates every entry the module wrote, by bookkeeping (trackAllKeys), no scan', async () => {
    const tracked = await startCacheApp({ keyPrefix: `${prefix}-all`, trackAllKeys: true });
    try {
      for (let i = 0; i < 30; i++) {
        await tracked.cache.getOrLoad(`a:${i}`, async () => i, {
          tags: i % 2 ? ['odd'] : undefined,
        });
      }
      await tracked.cache.getOrLoad('h:1', async () => ({ x: 1 }), { storage: 'hash' });
      await tracked.cache.set('s:1', 'explicit', 30);
      expect(await tracked.cache.get('s:1')).toBe('explicit');
      expect(await tracked.cache.evictAll()).toBe(true);
      for (let i = 0; i < 30; i++) expect(await tracked.cache.get(`a:${i}`)).toBeUndefined();
      expect(await tracked.cache.get('s:1')).toBeUndefined();
      expect(await tracked.cache.getFields('h:1', ['x'])).toBeUndefined();
      expect(await tracked.cache.getOrLoad('a:1', async () => 'reloaded')).toBe('reloaded');
      expect(
        await tracked.cache.getOrLoadWithStatus('h:1', async () => ({ x: 2 }), { storage: 'hash' }),
      ).toEqual({ value: { x: 2 }, status: 'MISS' });
    } finally {
      await tracked.close();
      await deletePrefix(redis, `${prefix}-all`);
    }
    await expect(node.cache.evictAll()).rejects.toThrow(/trackAllKeys/);
  });

  it("a result whose tags can't be taken is served but not cached (an invalidation could not reach it)", async () => {
    const first = await node.cache.getOrLoadWithStatus('bad-tag:1', async () => 'value', {
      tagsFromResult: () => {
        throw new Error('no category');
      },
    });
    expect(first).toEqual({ value: 'value', status: 'MISS' });
    expect(await redis.exists(`${prefix}:{bad-tag:1}`)).toBe(0);
  });
});
