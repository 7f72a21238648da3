import { Injectable } from '@nestjs/common';
import { Cacheable, CacheEvict, cacheKey } from 'nest-cache-aside';
import { sleep, startCacheApp, type CacheApp } from './support/cache-app';
import { OwnRedis } from './support/own-redis';
import {
  connectTestRedis,
  deletePrefix,
  REDIS_URL,
  uniquePrefix,
  type TestRedis,
} from './support/redis';
import { loadThatWaits, SqliteRows, type Row } from './support/sqlite-rows';
import { startRowReader } from './support/workers';
import { raceTagInvalidations } from './support/tag-race';
import type { RowTagging } from './support/row-read-options';

jest.setTimeout(60_000);

/**
 * Read-your-writes and "no stale set" around the lease: tag invalidations racing loads
 * in another process, evictions that failed, in-process flights, grace, long keys.
 */
describe('consistency of evictions (real Redis, real SQLite, a second process)', () => {
  const prefix = uniquePrefix('consistency');
  let redis: TestRedis;
  let node: CacheApp;
  const apps: CacheApp[] = [];
  const servers: OwnRedis[] = [];

  beforeAll(async () => {
    redis = await connectTestRedis();
    node = await startCacheApp({ keyPrefix: prefix, earlyRefresh: false });
  });

  afterAll(async () => {
    await Promise.all([node.close(), ...apps.map((app) => app.close())]);
    await Promise.all(servers.map((server) => server.kill()));
    await deletePrefix(redis, prefix);
    redis.destroy();
  });

  async function anotherNode(options: Parameters<typeof startCacheApp>[0] = {}) {
    const app = await startCacheApp({ keyPrefix: prefix, earlyRefresh: false, ...options });
    apps.push(app);
    return app;
  }

  describe('a tag invalidation racing loads of its entries in another process', () => {
    const tagRace = (tagging: RowTagging, nearCache = false) =>
      raceTagInvalidations({
        redis: REDIS_URL,
        prefix: `${prefix}-race-${tagging}${nearCache ? '-near' : ''}`,
        tagging,
        nearCache,
        startApp: (options) => anotherNode(options),
        cleanUp: (racePrefix) => deletePrefix(redis, racePrefix).then(() => undefined),
      });

    it('tags from arguments: no entry escapes the next invalidation', async () => {
      expect(await tagRace('tags')).toBe(0);
    });

    it('tags from the result: no entry escapes the next invalidation', async () => {
      expect(await tagRace('tagsFromResult')).toBe(0);
    });

    it('with near caches in both processes: neither serves an old row once Redis delivered the invalidation', async () => {
      expect(await tagRace('tags', true)).toBe(0);
    });
  });

  describe('an eviction that failed is applied as soon as Redis answers, without a read', () => {
    /** A writer and a watching second process on a redis-server of our own. */
    async function setUp(tagging: RowTagging, commandTimeoutMs: number) {
      const server = await OwnRedis.start();
      servers.push(server);
      const admin = await connectTestRedis(server.url);
      const writer = await startCacheApp({
        redis: server.url,
        keyPrefix: 'replay',
        commandTimeoutMs,
        earlyRefresh: false,
      });
      apps.push(writer);
      const writerClients = (await admin.clientList())
        .filter((client) => !client.flags.includes('P') && client.cmd !== 'client|list')
        .map((client) => client.id);
      const rows = new SqliteRows(1);
      const reader = startRowReader({
        mode: 'watch',
        redis: server.url,
        prefix: 'replay',
        sqlitePath: rows.path,
        rowCount: 1,
        tagging,
        ttlSeconds: 60,
        loaderJitterMs: 0,
      });
      await reader.ready;
      reader.go();
      await reader.line<{ version: number }>((line) => line.version === 1, 10_000);
      const cleanUp = async () => {
        reader.child.kill();
        rows.close();
        admin.destroy();
      };
      return { admin, writer, writerClients, rows, reader, cleanUp };
    }

    it('a del that failed on a dropped connection (breaker still closed)', async () => {
      const { admin, writer, writerClients, rows, reader, cleanUp } = await setUp('none', 500);
      try {
        rows.bump(1);
        for (const id of writerClients)
          await admin.sendCommand(['CLIENT', 'KILL', 'ID', String(id)]);
        expect(await writer.cache.del('row:1')).toBe(false);
        expect(writer.cache.stats().redisErrors).toBeLessThan(5); // the circuit never opened
        // the writer reads nothing from here on: reconnecting is enough
        await reader.line<{ version: number }>((line) => line.version === 2, 5_000);
      } finally {
        await cleanUp();
      }
    });

    it('a tag invalidation that timed out on its first step is redone from the start', async () => {
      const { admin, writer, rows, reader, cleanUp } = await setUp('tags', 50);
      try {
        rows.bump(1);
        await admin.sendCommand(['CLIENT', 'PAUSE', '300', 'WRITE']);
        expect(await writer.cache.invalidateTags('rows')).toBe(false);
        await reader.line<{ version: number }>((line) => line.version === 2, 5_000);
      } finally {
        await cleanUp();
      }
    });
  });

  it('a graceful shutdown applies the evictions still queued before it closes', async () => {
    const server = await OwnRedis.start();
    servers.push(server);
    const options = {
      redis: server.url,
      keyPrefix: 'shutdown',
      commandTimeoutMs: 100,
      breakerOpenMs: 300,
      earlyRefresh: false,
    };
    const writer = await startCacheApp(options);
    const reader = await startCacheApp(options);
    apps.push(reader);
    let row = 'v1';
    expect(await reader.cache.getOrLoad('product:1', async () => row)).toBe('v1');
    server.freeze();
    for (let i = 0; i < 5; i++) await writer.cache.getOrLoad(`other:${i}`, async () => i);
    server.thaw();
    row = 'v2'; // the write happened; its eviction meets the open circuit and is queued
    expect(await writer.cache.del('product:1')).toBe(false);
    await writer.close(); // e.g. SIGTERM right after the request
    expect(await reader.cache.getOrLoad('product:1', async () => row)).toBe('v2');
  });

  describe('in-process flights: a read that starts after an eviction resolved never joins an older one', () => {
    let rows: SqliteRows;
    beforeEach(() => (rows = new SqliteRows(4)));
    afterEach(() => rows.close());

    const readAfterEviction = (
      key: string,
      id: number,
      options: object,
      evict: () => Promise<unknown>,
    ): Promise<Row> =>
      readAroundEviction(node, rows, key, id, options, evict).then(({ after }) => after);

    it('after del', async () => {
      const row = await readAfterEviction('flight:1', 1, {}, () => node.cache.del('flight:1'));
      expect(row.version).toBe(2);
    });

    it('after a tag invalidation', async () => {
      const row = await readAfterEviction('flight:2', 2, { tags: ['flights'] }, () =>
        node.cache.invalidateTags('flights'),
      );
      expect(row.version).toBe(2);
    });

    it('after a patch', async () => {
      const row = await readAfterEviction('flight:3', 3, { storage: 'hash' }, () =>
        node.cache.patch('flight:3', { version: 2 }),
      );
      expect(row.version).toBe(2);
    });

    it('after evictAll', async () => {
      const tracked = await anotherNode({ keyPrefix: `${prefix}-all`, trackAllKeys: true });
      const { after } = await readAroundEviction(tracked, rows, 'flight:4', 4, {}, () =>
        tracked.cache.evictAll(),
      );
      expect(after.version).toBe(2);
      await deletePrefix(redis, `${prefix}-all`);
    });
  });

  describe("in-process flights: a read that starts after another process's eviction resolved never joins an older one", () => {
    // The reader's load holds the lease while the key is missing in Redis, so the writer's
    // eviction changes nothing Redis would report to the reader (no entry, and lease keys
    // are not watched): only the refused fill tells the reader its load began before it.
    let rows: SqliteRows;
    beforeEach(() => (rows = new SqliteRows(4)));
    afterEach(() => rows.close());

    async function readAfterRemoteEviction(
      nearCache: boolean,
      key: string,
      options: object,
      evict: (writer: CacheApp) => Promise<unknown>,
    ): Promise<{ before: Row; after: Row; joinRetries: number }> {
      const config = nearCache ? { nearCache: { maxEntries: 100 } } : {};
      const reader = await anotherNode(config);
      const writer = await anotherNode(config);
      const read = await readAroundEviction(reader, rows, key, 1, options, () => evict(writer));
      return { ...read, joinRetries: reader.cache.stats().joinRetries };
    }

    const writes: [string, object, (writer: CacheApp, key: string) => Promise<unknown>][] = [
      ['del', {}, (writer, key) => writer.cache.del(key)],
      ['set', {}, (writer, key) => writer.cache.set(key, { id: 0, version: 2 }, 60)],
      ['a patch', { storage: 'hash' }, (writer, key) => writer.cache.patch(key, { version: 2 })],
      [
        'a tag invalidation',
        { tags: ['remote-flights'] },
        (writer) => writer.cache.invalidateTags('remote-flights'),
      ],
    ];

    for (const nearCache of [false, true]) {
      for (const [name, options, write] of writes) {
        it(`after ${name}${nearCache ? ', near cache on' : ''}`, async () => {
          const key = `remote-flight:${name}:${nearCache}`;
          const { before, after, joinRetries } = await readAfterRemoteEviction(
            nearCache,
            key,
            options,
            (w) => write(w, key),
          );
          expect(before.version).toBe(1); // began before the write: its first caller keeps it
          expect(after.version).toBe(2);
          // with a near cache, a write Redis reports (set, a tag) detaches the flight before
          // the second read starts, so nothing joins it
          if (!nearCache) expect(joinRetries).toBe(1);
        });
      }
    }
  });

  describe('grace never serves an evicted entry', () => {
    it('not to a read whose GET came before the eviction, nor to one that starts after it', async () => {
      const graceful = await anotherNode({ graceSeconds: 30 });
      for (let round = 0; round < 20; round++) {
        const key = `grace:${round}`;
        let value = 'before';
        await graceful.cache.getOrLoad(key, async () => value, { ttlSeconds: 0.05 });
        await sleep(80); // stale now, within grace
        // on one connection: the first read's GET goes out before the DEL, its lease request after
        const first = graceful.cache.getOrLoadWithStatus(key, async () => value);
        value = 'after';
        await graceful.cache.del(key);
        const second = await graceful.cache.getOrLoadWithStatus(key, async () => value);
        expect(second.value).toBe('after');
        expect((await first).value).toBe('after');
      }
    });
  });

  describe('@CacheEvict({ beforeInvocation: true })', () => {
    const rows = new SqliteRows(1);
    afterAll(() => rows.close());

    @Injectable()
    class RowService {
      @Cacheable({ key: 'before-invocation:{0}', ttlSeconds: 60 })
      async read(id: number): Promise<Row> {
        return rows.read(id);
      }

      @CacheEvict({ keys: 'before-invocation:{0}', beforeInvocation: true })
      async write(id: number): Promise<void> {
        await this.read(id); // a reader slips in between the eviction and the write
        rows.bump(id);
      }

      @CacheEvict({
        beforeInvocation: true,
        keysFromResult: (written: { id: number }) => cacheKey('before-invocation', written.id),
      })
      async writeReturningId(id: number): Promise<{ id: number }> {
        rows.bump(id);
        return { id };
      }
    }

    it('a load between the eviction and the write cannot leave the old row cached', async () => {
      const app = await startCacheApp({ keyPrefix: prefix }, { providers: [RowService] });
      apps.push(app);
      const service = app.app.get(RowService);
      expect((await service.read(1)).version).toBe(1);
      await service.write(1);
      expect((await service.read(1)).version).toBe(2);
      await service.writeReturningId(1); // keys from its result are evicted afterwards too
      expect((await service.read(1)).version).toBe(3);
    });
  });

  describe('long keys', () => {
    @Injectable()
    class ShopService {
      loads = 0;

      @Cacheable('shop:product:{0}', 60)
      async findOne(id: string): Promise<string> {
        this.loads++;
        return `product ${id.length} v${this.loads}`;
      }
    }

    it('a template and cacheKey() name the same entry, however long the key', async () => {
      const shop = await startCacheApp({ keyPrefix: prefix }, { providers: [ShopService] });
      apps.push(shop);
      const service = shop.app.get(ShopService);
      const id = `${'é'.repeat(300)}:{}`; // 600+ characters once encoded: hashed
      expect(await service.findOne(id)).toBe(`product ${id.length} v1`);
      expect(await service.findOne(id)).toBe(`product ${id.length} v1`);
      expect(await node.cache.del(cacheKey('shop', 'product', id))).toBe(true);
      expect(await service.findOne(id)).toBe(`product ${id.length} v2`);
    });
  });

  describe('invalidation cost does not grow with the tag', () => {
    it('20,000 entries of one tag: a handful of commands, and none of them served afterwards', async () => {
      const server = await OwnRedis.start();
      servers.push(server);
      const admin = await connectTestRedis(server.url);
      const app = await startCacheApp({
        redis: server.url,
        keyPrefix: 'wide',
        earlyRefresh: false,
      });
      apps.push(app);
      try {
        const keys = Array.from({ length: 20_000 }, (_, i) => `page:${i}`);
        for (let i = 0; i < keys.length; i += 500) {
          await Promise.all(
            keys
              .slice(i, i + 500)
              .map((key) => app.cache.set(key, key, 60, { tags: ['category:1'] })),
          );
        }
        expect(await app.cache.get('page:123')).toBe('page:123');
        await admin.configResetStat();
        expect(await app.cache.invalidateTags('category:1')).toBe(true);
        const info = await admin.info('stats');
        const commands = Number(/total_commands_processed:(\d+)/.exec(info)![1]);
        // the sequence bump and the tag's version (scripts count the commands inside them), this
        // INFO: a constant, where deleting the members would take 20,000 commands or more
        expect(commands).toBeLessThan(30);
        const served = await Promise.all(keys.map((key) => app.cache.get(key)));
        expect(served.filter((value) => value !== undefined)).toEqual([]);
      } finally {
        admin.destroy();
      }
    });
  });
});

/**
 * A load of row `id` under way in `reader` (it has read the row and waits), the row bumped
 * and `evict` resolved, then a second read of the key in `reader`: what each read got.
 */
async function readAroundEviction(
  reader: CacheApp,
  rows: SqliteRows,
  key: string,
  id: number,
  options: object,
  evict: () => Promise<unknown>,
): Promise<{ before: Row; after: Row }> {
  const slow = loadThatWaits(rows, id);
  const before = reader.cache.getOrLoad(key, slow.load, options);
  await slow.hasRead;
  rows.bump(id);
  await evict();
  const after = reader.cache.getOrLoad(key, async () => rows.read(id), options);
  slow.finish();
  return { before: await before, after: await after };
}
