import {
  Controller,
  Get,
  Injectable,
  Module,
  NotFoundException,
  Param,
  ParseIntPipe,
  Query,
  UseInterceptors,
  type INestApplication,
  type MiddlewareConsumer,
  type NestModule,
} from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import * as library from 'nest-cache-aside';
import { CacheAsideModule, CacheAsideService, CacheStatusInterceptor } from 'nest-cache-aside';
import { cacheStatusContext } from '../libs/cache-aside/src/cache-status.context';
import type { CacheHitSource, CacheStatus } from '../libs/cache-aside/src/interfaces';
import { waitUntilConnected } from './support/cache-app';
import {
  connectTestRedis,
  countPrefix,
  deletePrefix,
  REDIS_URL,
  uniquePrefix,
  type TestRedis,
} from './support/redis';

/*
 * CacheStatusInterceptor through HTTP, on a real Redis: X-Cache, Cache-Status (RFC 9211)
 * and Server-Timing, set by the interceptor and by the middleware (the record follows a
 * request with AsyncLocalStorage). The near cache isn't in this tree yet: a near hit is
 * what the service records for one, cacheStatusContext.record('HIT', 'near').
 */
const LOADER_MS = 20;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

@Injectable()
class Products {
  loads = 0;

  constructor(private readonly cache: CacheAsideService) {}

  find(id: number): Promise<{ id: number }> {
    return this.cache.getOrLoad(`product:${id}`, async () => {
      this.loads++;
      await sleep(LOADER_MS);
      return { id };
    });
  }
}

/** A service a few awaits (a timer among them) away from the cached read. */
@Injectable()
class Storefront {
  constructor(private readonly products: Products) {}

  async page(id: number): Promise<{ product: { id: number } }> {
    await sleep(1);
    await Promise.resolve();
    const [product] = await Promise.all([this.products.find(id)]);
    return { product };
  }
}

@Controller('status')
class StatusController {
  constructor(
    private readonly products: Products,
    private readonly storefront: Storefront,
  ) {}

  @Get('product/:id')
  product(@Param('id', ParseIntPipe) id: number) {
    return this.products.find(id);
  }

  @Get('page/:id')
  page(@Param('id', ParseIntPipe) id: number) {
    return this.storefront.page(id);
  }

  /** Records `reads` (`STATUS[:source]`, comma-separated) one await apart, as the service would. */
  @Get('recorded')
  async recorded(@Query('reads') reads: string) {
    for (const read of reads.split(',')) {
      await Promise.resolve();
      const [status, source] = read.split(':') as [CacheStatus, CacheHitSource | undefined];
      cacheStatusContext.record(status, source);
    }
    return { reads };
  }

  /** A near hit, then a real read of the product. */
  @Get('near-then/:id')
  async nearThen(@Param('id', ParseIntPipe) id: number) {
    cacheStatusContext.record('HIT', 'near');
    return this.products.find(id);
  }

  @Get('failing/:id')
  async failing(@Param('id', ParseIntPipe) id: number) {
    await this.products.find(id);
    throw new NotFoundException(`no offer for ${id}`);
  }

  @Get('uncached')
  uncached() {
    return { cached: false };
  }
}

/** The interceptor on the route too, beside the global one. */
@Controller('twice')
@UseInterceptors(CacheStatusInterceptor)
class TwiceController {
  constructor(private readonly products: Products) {}

  @Get(':id')
  product(@Param('id', ParseIntPipe) id: number) {
    return this.products.find(id);
  }
}

/** Where the headers come from: the interceptor (global), or the middleware (none global). */
const setters: ('interceptor' | 'middleware')[] =
  'CacheStatusMiddleware' in library ? ['interceptor', 'middleware'] : ['interceptor'];

/** The controllers with CacheStatusMiddleware in front of them. */
@Module({
  controllers: [StatusController, TwiceController],
  providers: [Products, Storefront],
})
class WithMiddlewareModule implements NestModule {
  configure(consumer: MiddlewareConsumer) {
    consumer.apply(library.CacheStatusMiddleware).forRoutes(StatusController, TwiceController);
  }
}

describe('X-Cache, Cache-Status and Server-Timing through HTTP', () => {
  const prefix = uniquePrefix('cache-status');
  const apps = {} as Record<(typeof setters)[number], INestApplication>;
  let app: INestApplication;
  let redis: TestRedis;
  let products: Products;
  let nextId = 1;
  const freshId = () => nextId++;

  beforeAll(async () => {
    redis = await connectTestRedis();
    for (const setter of setters) {
      const cacheModule = CacheAsideModule.forRoot({
        redis: REDIS_URL,
        keyPrefix: prefix,
        commandTimeoutMs: 500,
        isGlobal: true,
      });
      const moduleRef = await Test.createTestingModule(
        setter === 'middleware'
          ? { imports: [cacheModule, WithMiddlewareModule] }
          : {
              imports: [cacheModule],
              providers: [Products, Storefront],
              controllers: [StatusController, TwiceController],
            },
      ).compile();
      apps[setter] = moduleRef.createNestApplication({ logger: false });
      if (setter === 'interceptor')
        apps[setter].useGlobalInterceptors(new CacheStatusInterceptor());
      await apps[setter].init();
      await waitUntilConnected(apps[setter].get(CacheAsideService));
    }
  });

  afterAll(async () => {
    for (const each of Object.values(apps)) await each.close();
    await deletePrefix(redis, prefix);
    expect(await countPrefix(redis, prefix)).toBe(0);
    redis.destroy();
  });

  const get = (url: string) => request(app.getHttpServer()).get(url);
  const timing = (response: request.Response) =>
    /^cache;desc="Redis";dur=(\d+\.\d\d), db;desc="Loader";dur=(\d+\.\d\d)$/
      .exec(String(response.headers['server-timing']))
      ?.slice(1)
      .map(Number);

  describe.each(setters)('set by the %s', (setter) => {
    beforeAll(() => {
      app = apps[setter];
      products = app.get(Products);
    });

    it('a miss says fwd=miss, a Redis hit says hit (detail=redis once the read path tells the source)', async () => {
      const id = freshId();
      const miss = await get(`/status/product/${id}`).expect(200);
      const hit = await get(`/status/product/${id}`).expect(200);
      expect(miss.headers['x-cache']).toBe('MISS');
      expect(miss.headers['cache-status']).toBe('nest-cache-aside; fwd=miss');
      expect(hit.headers['x-cache']).toBe('HIT');
      expect(hit.headers['cache-status']).toMatch(/^nest-cache-aside; hit(; detail=redis)?$/);
      expect(hit.body).toEqual({ id });
    });

    it.each([
      ['HIT:near', 'HIT', 'nest-cache-aside; hit; detail=near'],
      ['HIT:redis', 'HIT', 'nest-cache-aside; hit; detail=redis'],
      ['HIT:near,HIT:redis,HIT:near', 'HIT', 'nest-cache-aside; hit; detail=redis'],
      ['HIT:redis,HIT:near', 'HIT', 'nest-cache-aside; hit; detail=redis'],
      ['HIT:near,STALE', 'STALE', 'nest-cache-aside; fwd=stale'],
      ['MISS,HIT:near', 'MISS', 'nest-cache-aside; fwd=miss'],
      ['HIT:near,BYPASS,MISS', 'BYPASS', 'nest-cache-aside; fwd=bypass'],
    ])('reads %s: X-Cache %s, Cache-Status "%s"', async (reads, xCache, cacheStatus) => {
      const response = await get(`/status/recorded?reads=${reads}`).expect(200);
      expect(response.headers['x-cache']).toBe(xCache);
      expect(response.headers['cache-status']).toBe(cacheStatus);
      expect(timing(response)).toEqual([0, 0]);
    });

    it('a near hit and a Redis read in one request: the Redis read wins', async () => {
      const id = freshId();
      const miss = await get(`/status/near-then/${id}`).expect(200);
      expect(miss.headers['x-cache']).toBe('MISS');
      expect(miss.headers['cache-status']).toBe('nest-cache-aside; fwd=miss');
      const hit = await get(`/status/near-then/${id}`).expect(200);
      expect(hit.headers['x-cache']).toBe('HIT');
      // source unknown (this tree) or redis: either way not "near"
      expect(hit.headers['cache-status']).toMatch(/^nest-cache-aside; hit(; detail=redis)?$/);
    });

    it('follows the read through services, timers and Promise.all, with Redis and loader time', async () => {
      const id = freshId();
      const miss = await get(`/status/page/${id}`).expect(200);
      const hit = await get(`/status/page/${id}`).expect(200);
      expect([miss.headers['x-cache'], hit.headers['x-cache']]).toEqual(['MISS', 'HIT']);
      const [missRedis, missLoader] = timing(miss) ?? [];
      expect(missRedis).toBeGreaterThan(0);
      expect(missLoader).toBeGreaterThanOrEqual(LOADER_MS * 0.75);
      const [hitRedis, hitLoader] = timing(hit) ?? [];
      expect(hitRedis).toBeGreaterThan(0);
      expect(hitLoader).toBe(0);
    });

    it('concurrent requests each get their own status', async () => {
      const warm = Array.from({ length: 12 }, freshId);
      await Promise.all(warm.map((id) => products.find(id)));
      const cold = Array.from({ length: 12 }, freshId);
      const urls = warm.flatMap((id, i) => [`/status/page/${id}`, `/status/page/${cold[i]}`]);
      const responses = await Promise.all(urls.map((url) => get(url).expect(200)));
      expect(responses.map((response) => response.headers['x-cache'])).toEqual(
        urls.map((_url, i) => (i % 2 === 0 ? 'HIT' : 'MISS')),
      );
      for (const [i, response] of responses.entries()) {
        const [, loader] = timing(response) ?? [];
        if (i % 2 === 0) expect(loader).toBe(0);
        else expect(loader).toBeGreaterThanOrEqual(LOADER_MS * 0.75);
      }
    });

    it('an error response still says how the reads before it were served', async () => {
      const id = freshId();
      expect((await get(`/status/failing/${id}`).expect(404)).headers['x-cache']).toBe('MISS');
      const hit = await get(`/status/failing/${id}`).expect(404);
      expect(hit.headers['x-cache']).toBe('HIT');
      expect(hit.headers['cache-status']).toMatch(/^nest-cache-aside; hit/);
    });

    it('no cached read, no headers; the interceptor twice (global and route) sets them once', async () => {
      const plain = await get('/status/uncached').expect(200);
      expect(plain.headers['x-cache']).toBeUndefined();
      expect(plain.headers['cache-status']).toBeUndefined();
      expect(plain.headers['server-timing']).toBeUndefined();
      const id = freshId();
      const miss = await get(`/twice/${id}`).expect(200);
      const hit = await get(`/twice/${id}`).expect(200);
      expect([miss.headers['x-cache'], hit.headers['x-cache']]).toEqual(['MISS', 'HIT']);
      expect(hit.headers['cache-status']).toMatch(/^nest-cache-aside; hit(; detail=redis)?$/);
    });

    it('leaves no record behind: reads after the requests, outside one, record nothing', async () => {
      const id = freshId();
      await get(`/status/product/${id}`).expect(200);
      expect(cacheStatusContext.active()).toBeUndefined();
      await products.find(id);
      await sleep(5);
      expect(cacheStatusContext.active()).toBeUndefined();
    });
  });
});
