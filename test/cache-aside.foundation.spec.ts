import { type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { firstValueFrom, isObservable } from 'rxjs';
import request from 'supertest';
import { CacheAsideModule, CacheAsideService, CacheStatusInterceptor } from 'nest-cache-aside';
import {
  CUSTOM_METADATA,
  FixtureDatabase,
  ProductFixtureController,
  ProductFixtureService,
  RequestScopedFixtureService,
} from './fixtures/catalog-fixtures';
import { waitUntilConnected } from './support/cache-app';
import {
  connectTestRedis,
  countPrefix,
  deletePrefix,
  REDIS_URL,
  uniquePrefix,
  type TestRedis,
} from './support/redis';

describe('CacheAsideModule with a real Redis', () => {
  const prefix = uniquePrefix('foundation');
  let app: INestApplication;
  let redis: TestRedis;
  let service: ProductFixtureService;
  let db: FixtureDatabase;
  let cache: CacheAsideService;

  beforeAll(async () => {
    redis = await connectTestRedis();
    const moduleRef = await Test.createTestingModule({
      imports: [CacheAsideModule.forRoot({ redis: REDIS_URL, keyPrefix: prefix })],
      providers: [FixtureDatabase, ProductFixtureService, RequestScopedFixtureService],
      controllers: [ProductFixtureController],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    app.useGlobalInterceptors(new CacheStatusInterceptor());
    await app.init();
    service = app.get(ProductFixtureService);
    db = app.get(FixtureDatabase);
    cache = app.get(CacheAsideService);
    await waitUntilConnected(cache);
  });

  afterAll(async () => {
    await app.close();
    await deletePrefix(redis, prefix);
    expect(await countPrefix(redis, prefix)).toBe(0);
    redis.destroy();
  });

  beforeEach(() => {
    db.loads = 0;
    db.rows.clear();
    service.lookups = [];
  });

  it('misses, then hits without running the method again', async () => {
    db.rows.set(1, { id: 1, name: 'Lamp', createdAt: new Date('2024-01-01T00:00:00Z') });
    const first = await service.findOne(1);
    const second = await service.findOne(1);
    expect(db.loads).toBe(1);
    expect(second).toEqual(first);
    expect(second?.createdAt).toBeInstanceOf(Date);
  });

  it('writes the entry under <prefix>:{product:<id>} with the TTL asked for', async () => {
    db.rows.set(2, { id: 2, name: 'Desk', createdAt: new Date() });
    await service.findOne(2);
    const ttl = await redis.ttl(`${prefix}:{product:2}`);
    expect(ttl).toBeGreaterThan(25);
    expect(ttl).toBeLessThanOrEqual(30);
    const remaining = await cache.ttl('product:2');
    expect(remaining).toBeGreaterThan(25);
    expect(remaining).toBeLessThanOrEqual(30);
  });

  it('caches calls made through this.method() inside the class', async () => {
    db.rows.set(3, { id: 3, name: 'Chair', createdAt: new Date() });
    expect(await service.findName(3)).toBe('Chair');
    expect(await service.findName(3)).toBe('Chair');
    expect(await service.findOne(3)).toMatchObject({ name: 'Chair' });
    expect(db.loads).toBe(1);
  });

  it('evicts after the method succeeded, and the next read sees the new value', async () => {
    db.rows.set(4, { id: 4, name: 'Old', createdAt: new Date() });
    expect((await service.findOne(4))?.name).toBe('Old');
    await service.rename(4, 'New');
    expect(await redis.exists(`${prefix}:{product:4}`)).toBe(0);
    expect((await service.findOne(4))?.name).toBe('New');
    expect(db.loads).toBe(2);
  });

  it('does not evict when the method throws', async () => {
    db.rows.set(5, { id: 5, name: 'Kept', createdAt: new Date() });
    await service.findOne(5);
    db.rows.delete(5);
    await expect(service.rename(5, 'x')).rejects.toThrow('no product 5');
    expect(await redis.exists(`${prefix}:{product:5}`)).toBe(1);
  });

  it('evicts before invocation when asked, even though the method then throws', async () => {
    db.rows.set(6, { id: 6, name: 'Gone', createdAt: new Date() });
    await service.findOne(6);
    await expect(service.renameEvictingFirst(6, 'x')).rejects.toThrow('refusing');
    expect(await redis.exists(`${prefix}:{product:6}`)).toBe(0);
  });

  it('propagates loader errors unchanged and caches nothing for them', async () => {
    service.failNext = true;
    await expect(service.findOne(7)).rejects.toThrow('database unavailable');
    expect(await redis.exists(`${prefix}:{product:7}`)).toBe(0);
    db.rows.set(7, { id: 7, name: 'Back', createdAt: new Date() });
    expect((await service.findOne(7))?.name).toBe('Back');
  });

  it('caches null results ("not found") and clears them on eviction', async () => {
    expect(await service.findOne(8)).toBeNull();
    expect(await service.findOne(8)).toBeNull();
    expect(db.loads).toBe(1);
    db.rows.set(8, { id: 8, name: 'Created', createdAt: new Date() });
    await cache.del('product:8');
    expect((await service.findOne(8))?.name).toBe('Created');
  });

  it('keeps Date, BigInt, Map, Set, null and undefined through Redis', async () => {
    const first = await service.rich(1);
    const cached = await service.rich(1);
    expect(service.lookups).toHaveLength(1);
    expect(cached).toEqual(first);
    const value = cached as any;
    expect(value.at).toBeInstanceOf(Date);
    expect(typeof value.big).toBe('bigint');
    expect(value.tags).toBeInstanceOf(Set);
    expect(value.byYear.get(2024)).toBeInstanceOf(Date);
    expect(value.missing).toBeNull();
    expect(value.nested.deep).toHaveLength(3);
    expect(1 in value.nested.deep).toBe(true);
    expect(value.nested.deep[1]).toBeUndefined();
  });

  it('keeps tricky arguments apart: no two different inputs share a key', async () => {
    const inputs: Array<[unknown, unknown]> = [
      ['a:b', 'c'],
      ['a', 'b:c'],
      ['*', '?'],
      ['{x}', '}'],
      ['a b', '\n'],
      ['é', 'e\u0301'],
      ['%3A', ':'],
      [null, 'null'],
      [undefined, 'undefined'],
      ['product', '1}:{product:2'],
    ];
    for (const [a, b] of inputs) await service.lookup(a, b);
    for (const [a, b] of inputs) expect(await service.lookup(a, b)).toEqual([a, b]);
    expect(service.lookups).toHaveLength(inputs.length);
    const keys: string[] = [];
    for await (const batch of redis.scanIterator({ MATCH: `${prefix}:{lookup:*`, COUNT: 500 })) {
      keys.push(...batch);
    }
    expect(keys).toHaveLength(inputs.length);
    for (const key of keys) {
      // one hash tag per key, so Redis Cluster slots stay right
      expect(key.split('{')).toHaveLength(2);
      expect(key.split('}')).toHaveLength(2);
      expect(key).not.toMatch(/[\s*?[\]]/);
    }
  });

  it('follows property paths in templates', async () => {
    await service.ordersOf({ id: 'u1' });
    await service.ordersOf({ id: 'u1' });
    await service.ordersOf({ id: 'u2' });
    expect(service.lookups).toHaveLength(2);
    expect(await redis.exists(`${prefix}:{user:u1:orders}`)).toBe(1);
  });

  it('honours condition and unless', async () => {
    await service.conditional(0);
    await service.conditional(0);
    await service.conditional(2);
    await service.conditional(2);
    await service.conditional(3);
    await service.conditional(3);
    expect(service.lookups).toEqual([0, 0, 2, 2, 3]);
  });

  it('caches Observable-returning methods and keeps them Observable', async () => {
    const first = service.observe(9);
    expect(isObservable(first)).toBe(true);
    expect(await firstValueFrom(first)).toBe('observed-9');
    expect(await firstValueFrom(service.observe(9))).toBe('observed-9');
    expect(service.lookups).toEqual([9]);
  });

  it('keeps metadata of other decorators on the wrapped method', () => {
    expect(Reflect.getMetadata(CUSTOM_METADATA, service.decorated)).toBe('kept');
  });

  it('caches controller routes (route metadata survives) and says X-Cache', async () => {
    ProductFixtureController.loads = 0;
    const miss = await request(app.getHttpServer()).get('/fixture-products/42').expect(200);
    const hit = await request(app.getHttpServer()).get('/fixture-products/42').expect(200);
    expect(miss.headers['x-cache']).toBe('MISS');
    expect(hit.headers['x-cache']).toBe('HIT');
    // time in Redis and in the loader, for devtools
    expect(miss.headers['server-timing']).toMatch(
      /^cache;desc="Redis";dur=[\d.]+, db;desc="Loader";dur=[\d.]+$/,
    );
    expect(Number(/db;desc="Loader";dur=([\d.]+)/.exec(hit.headers['server-timing'])?.[1])).toBe(0);
    expect(hit.body).toEqual(miss.body);
    expect(ProductFixtureController.loads).toBe(1);
  });

  it('caches methods of request-scoped providers', async () => {
    RequestScopedFixtureService.loads = 0;
    const contextId = { id: 1 };
    const a = await app.resolve(RequestScopedFixtureService, contextId);
    const b = await app.resolve(RequestScopedFixtureService, { id: 2 });
    expect(a).not.toBe(b);
    expect(await a.find(1)).toBe('scoped-1');
    expect(await b.find(1)).toBe('scoped-1');
    expect(RequestScopedFixtureService.loads).toBe(1);
  });

  it('offers the same operations through the service', async () => {
    const when = new Date('2020-01-01T00:00:00Z');
    expect(await cache.set('manual:1', { when }, 10)).toBe(true);
    expect(await cache.get('manual:1')).toEqual({ when });
    expect(await redis.ttl(`${prefix}:{manual:1}`)).toBeGreaterThan(8);
    let loads = 0;
    const loader = async () => ++loads;
    expect(await cache.getOrLoad('manual:2', loader, { ttlSeconds: 5 })).toBe(1);
    expect(await cache.getOrLoad('manual:2', loader, { ttlSeconds: 5 })).toBe(1);
    expect(await cache.del('manual:1', 'manual:2')).toBe(true);
    expect(await cache.get('manual:1')).toBeUndefined();
    expect(await cache.ttl('manual:1')).toBe(-2);
    expect(await cache.getOrLoad('manual:2', loader, { ttlSeconds: 5 })).toBe(2);
  });

  it('never writes a key without a TTL', async () => {
    for await (const keys of redis.scanIterator({ MATCH: `${prefix}:*`, COUNT: 500 })) {
      for (const key of keys) expect(await redis.pTTL(key)).toBeGreaterThan(0);
    }
  });
});
