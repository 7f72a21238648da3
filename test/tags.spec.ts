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

  it('invalidates every entry of a tag, and only those', async () => {
    const tagged = Array.from({ length: 1200 }, (_, i) => `item:${i}`);
    for (let i = 0; i < tagged.length; i += 100) {
      await Promise.all(
        tagged
          .slice(i, i + 100)
          .map((key) => node.cache.getOrLoad(key, async () => key, { tags: ['bulk'] })),
      );
    }
    await node.cache.getOrLoad('item:other', async () => 'other', { tags: ['elsewhere'] });
    expect(await redis.zCard(`${prefix}:tag:{bulk}`)).toBe(1200);

    expect(await node.cache.invalidateTags('bulk')).toBe(true);
    const remaining = await Promise.all(tagged.map((key) => redis.exists(`${prefix}:{${key}}`)));
    expect(remaining.every((exists) => exists === 0)).toBe(true);
    expect(await redis.zCard(`${prefix}:tag:{bulk}`)).toBe(0);
    expect(await node.cache.get('item:other')).toBe('other');
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

  it('tag bookkeeping stays bounded: members of long-expired entries are pruned, and tag keys expire', async () => {
    const tagKey = `${prefix}:tag:{bounded}`;
    const longAgo = Date.now() - 10 * 60_000;
    await redis.zAdd(
      tagKey,
      Array.from({ length: 100 }, (_, i) => ({ score: longAgo, value: `gone:${i}` })),
    );
    await node.cache.getOrLoad('alive:1', async () => 1, { tags: ['bounded'], ttlSeconds: 5 });
    expect(await redis.zRange(tagKey, 0, -1)).toEqual(['alive:1']);
    const tagTtl = await redis.pTTL(tagKey);
    expect(tagTtl).toBeGreaterThan(0);
    // bounded by the entry's life, plus the lease wait allowance and the 60 s margin
    // kept for clock skew between app servers: not forever
    expect(tagTtl).toBeLessThanOrEqual(5_000 + 10_000 + 60_000 + 100);
  });

  it('evictAll deletes every entry the module wrote, by bookkeeping (trackAllKeys), no scan', async () => {
    const tracked = await startCacheApp({ keyPrefix: `${prefix}-all`, trackAllKeys: true });
    try {
      for (let i = 0; i < 30; i++) {
        await tracked.cache.getOrLoad(`a:${i}`, async () => i, {
          tags: i % 2 ? ['odd'] : undefined,
        });
      }
      await tracked.cache.getOrLoad('h:1', async () => ({ x: 1 }), { storage: 'hash' });
      await tracked.cache.set('s:1', 'explicit', 30);
      expect(await tracked.cache.evictAll()).toBe(true);
      const left: string[] = [];
      for await (const keys of redis.scanIterator({ MATCH: `${prefix}-all:{*`, COUNT: 500 }))
        left.push(...keys);
      expect(left).toEqual([]);
      expect(await tracked.cache.getOrLoad('a:1', async () => 'reloaded')).toBe('reloaded');
    } finally {
      await tracked.close();
      await deletePrefix(redis, `${prefix}-all`);
    }
    await expect(node.cache.evictAll()).rejects.toThrow(/trackAllKeys/);
  });

  it('an entry that could not join its tags is not cached (an invalidation could not find it)', async () => {
    const tagged = await node.cache.getOrLoadWithStatus('bad-tag:1', async () => 'value', {
      tags: ['x'.repeat(600)],
    });
    expect(tagged.value).toBe('value');
    expect(await redis.zCard(`${prefix}:tag:{x}`)).toBe(0);
  });
});
