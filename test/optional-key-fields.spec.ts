import { Controller, Get, Injectable, type INestApplication, Query } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { CacheAsideModule, CacheAsideService, Cacheable, cacheKey } from 'nest-cache-aside';
import { waitUntilConnected } from './support/cache-app';
import {
  connectTestRedis,
  deletePrefix,
  REDIS_URL,
  uniquePrefix,
  type TestRedis,
} from './support/redis';

interface SearchQuery {
  category?: string;
  page?: string;
}

@Injectable()
class SearchService {
  readonly loads: unknown[][] = [];

  @Cacheable({ key: 'search:{0.category}:{0.page}', ttlSeconds: 60 })
  async search(query: SearchQuery): Promise<string> {
    this.loads.push([query]);
    return `category=${String(query.category)} page=${String(query.page)}`;
  }

  @Cacheable({ key: 'list:{0}:{1}', ttlSeconds: 60 })
  async list(category: string, page?: number): Promise<string> {
    this.loads.push([category, page]);
    return `${category} ${String(page)}`;
  }
}

@Controller('search')
class SearchController {
  constructor(private readonly service: SearchService) {}

  // No ValidationPipe: a field the client leaves out is absent from the query object.
  @Get()
  search(@Query() query: SearchQuery): Promise<string> {
    return this.service.search(query);
  }
}

describe('key templates over optional arguments (real Redis, over HTTP)', () => {
  const prefix = uniquePrefix('optional-keys');
  let app: INestApplication;
  let redis: TestRedis;
  let service: SearchService;

  beforeAll(async () => {
    redis = await connectTestRedis();
    const moduleRef = await Test.createTestingModule({
      imports: [CacheAsideModule.forRoot({ redis: REDIS_URL, keyPrefix: prefix })],
      providers: [SearchService],
      controllers: [SearchController],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    service = app.get(SearchService);
    await waitUntilConnected(app.get(CacheAsideService));
  });

  afterAll(async () => {
    await app.close();
    await deletePrefix(redis, prefix);
    redis.destroy();
  });

  it('caches a query with absent fields under their own segment instead of failing', async () => {
    const http = request(app.getHttpServer());
    const absent = await http.get('/search').expect(200);
    expect(absent.text).toBe('category=undefined page=undefined');
    await http.get('/search').expect(200);
    expect(service.loads).toHaveLength(1);
    expect(await redis.exists(`${prefix}:{search:%U:%U}`)).toBe(1);
    expect(await app.get(CacheAsideService).get(cacheKey('search', undefined, undefined))).toBe(
      absent.text,
    );

    // The empty string and the text 'undefined' are other values, with entries of their own.
    await http.get('/search?category=&page=2').expect(200, 'category= page=2');
    await http.get('/search?category=undefined&page=2').expect(200, 'category=undefined page=2');
    await http.get('/search?page=2').expect(200, 'category=undefined page=2');
    expect(service.loads).toHaveLength(4);
    for (const key of ['search::2', 'search:undefined:2', 'search:%U:2']) {
      expect(await redis.exists(`${prefix}:{${key}}`)).toBe(1);
    }
  });

  it('caches a call that omits an optional parameter, apart from one passing null', async () => {
    service.loads.length = 0;
    expect(await service.list('toys')).toBe('toys undefined');
    expect(await service.list('toys', undefined)).toBe('toys undefined');
    expect(await service.list('toys', null as unknown as number)).toBe('toys null');
    expect(service.loads).toEqual([
      ['toys', undefined],
      ['toys', null],
    ]);
    expect(await redis.exists(`${prefix}:{list:toys:%U}`)).toBe(1);
    expect(await redis.exists(`${prefix}:{list:toys:%N}`)).toBe(1);
  });
});
