import { Injectable } from '@nestjs/common';
import { Cacheable, CacheEvict, CachePatch } from 'nest-cache-aside';
import { sleep, startCacheApp, type CacheApp } from './support/cache-app';
import { OwnRedis } from './support/own-redis';
import { connectTestRedis, type TestRedis } from './support/redis';

jest.setTimeout(30_000);

@Injectable()
class AuditedService {
  @Cacheable({ key: 'product:{0}', ttlSeconds: 30, storage: 'hash', tags: ['category:{1}'] })
  async product(id: number, _category: string): Promise<{ id: number; price: number }> {
    return { id, price: 100 };
  }

  @Cacheable({ key: 'page:{0}:{1}', ttlSeconds: 30, tags: ['category:{0}'], graceSeconds: 5 })
  async page(category: string, page: number): Promise<string[]> {
    return [`${category}-${page}`];
  }

  @CachePatch<{ id: number; price: number }>({ key: 'product:{0}', fields: ['price'] })
  async reprice(id: number, price: number): Promise<{ id: number; price: number }> {
    return { id, price };
  }

  @CacheEvict({ keys: 'product:{0}', tags: 'category:{1}' })
  async remove(_id: number, _category: string): Promise<void> {}
}

/**
 * Records, with MONITOR on a redis-server of its own, every command the library
 * sends through all of its features (reads, misses, stampede waits, fills, patches,
 * tags, evictions, failures), and asserts on them.
 */
describe('commands the library sends (MONITOR)', () => {
  let server: OwnRedis;
  let monitor: TestRedis;
  let inspector: TestRedis;
  const apps: CacheApp[] = [];
  const commands: string[] = [];

  beforeAll(async () => {
    server = await OwnRedis.start();
    monitor = await connectTestRedis(server.url);
    inspector = await connectTestRedis(server.url);
    await monitor.monitor((line: string) => commands.push(line));
  });

  afterAll(async () => {
    await Promise.all(apps.map((a) => a.close()));
    monitor.destroy();
    inspector.destroy();
    await server.kill();
  });

  it('never sends KEYS, SCAN, FLUSHDB or FLUSHALL, and writes no key without a TTL', async () => {
    for (let i = 0; i < 2; i++) {
      apps.push(
        await startCacheApp(
          { redis: server.url, keyPrefix: 'audit', ttlJitterPercent: 10 },
          { providers: [AuditedService] },
        ),
      );
    }
    const [a, b] = apps;
    const service = a.app.get(AuditedService);
    const slow = async () => {
      await sleep(100);
      return 'slow';
    };
    await Promise.all([a.cache.getOrLoad('shared', slow), b.cache.getOrLoad('shared', slow)]);
    await a.cache.getOrLoad('shared', slow);
    await a.cache.getOrLoad('missing', async () => null, { notFoundTtlSeconds: 5 });
    await a.cache
      .getOrLoad('fails', async () => Promise.reject(new Error('x')))
      .catch(() => undefined);
    await a.cache.getOrLoad('xfetch', async () => 1, { earlyRefresh: 1e9 });
    await a.cache.getOrLoad('xfetch', async () => 2, { earlyRefresh: 1e9 });
    await a.cache.getOrLoad('from-result', async () => ({ c: 'x' }), {
      tagsFromResult: (v) => [`c:${v.c}`],
    });
    await service.product(1, 'tools');
    await service.product(1, 'tools');
    await service.page('tools', 1);
    await service.reprice(1, 90);
    await a.cache.getFields('product:1', ['price']);
    await a.cache.set('explicit', { at: new Date() }, 10);
    await a.cache.get('explicit');
    await a.cache.ttl('explicit');
    await service.remove(1, 'tools');
    await a.cache.invalidateTags('c:x');
    await a.cache.del('shared', 'missing');
    await sleep(200);

    const names = commands
      .map((line) => /"([A-Za-z]+)"/.exec(line)?.[1]?.toUpperCase())
      .filter((name): name is string => Boolean(name));
    expect(names.length).toBeGreaterThan(50);
    expect(names).toEqual(expect.arrayContaining(['GET', 'EVALSHA', 'HGETALL', 'DEL']));
    for (const forbidden of ['KEYS', 'SCAN', 'FLUSHDB', 'FLUSHALL']) {
      expect(names).not.toContain(forbidden);
    }

    // and every key left behind expires
    let keysSeen = 0;
    for await (const keys of inspector.scanIterator({ MATCH: 'audit*', COUNT: 100 })) {
      for (const key of keys) {
        keysSeen++;
        expect({ key, pttl: await inspector.pTTL(key) }).toEqual({ key, pttl: expect.any(Number) });
        expect(await inspector.pTTL(key)).toBeGreaterThan(0);
      }
    }
    expect(keysSeen).toBeGreaterThan(3);
  });
});
