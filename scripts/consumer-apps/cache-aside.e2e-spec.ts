// Copied by run.sh into a fresh Nest 12 app (ESM + Vitest, or CommonJS + Jest) that installed
// nest-cache-aside from its tarball: a user's first e2e, against the Redis at REDIS_URL.
import {
  Controller,
  Get,
  INestApplication,
  Injectable,
  Module,
  Param,
  ParseIntPipe,
  Put,
} from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { Test } from '@nestjs/testing';
import { CacheAsideModule, CacheAsideService, Cacheable, CacheEvict } from 'nest-cache-aside';
import { createClient } from 'redis';
import request from 'supertest';

const keyPrefix = `consumer-e2e-${process.pid}-${Date.now()}`;

@Injectable()
class ProductsService {
  loads = 0;
  private readonly names = new Map<number, string>([[1, 'Kettle']]);

  @Cacheable('product:{0}', 60)
  async findOne(id: number): Promise<{ id: number; name: string } | null> {
    this.loads++;
    const name = this.names.get(id);
    return name === undefined ? null : { id, name };
  }

  @CacheEvict('product:{0}')
  async rename(id: number, name: string): Promise<void> {
    this.names.set(id, name);
  }
}

@Controller('products')
class ProductsController {
  constructor(private readonly products: ProductsService) {}

  @Get(':id')
  findOne(@Param('id', ParseIntPipe) id: number) {
    return this.products.findOne(id);
  }

  @Put(':id/name/:name')
  rename(@Param('id', ParseIntPipe) id: number, @Param('name') name: string) {
    return this.products.rename(id, name);
  }
}

@Module({
  imports: [
    ConfigModule.forRoot({ ignoreEnvFile: true }),
    CacheAsideModule.forRootAsync({
      imports: [ConfigModule],
      inject: [ConfigService],
      useFactory: (config: ConfigService) => ({
        redis: config.get<string>('REDIS_URL', 'redis://127.0.0.1:6379'),
        keyPrefix,
      }),
    }),
  ],
  controllers: [ProductsController],
  providers: [ProductsService],
})
class ProductsModule {}

describe('nest-cache-aside, installed from its tarball', () => {
  let app: INestApplication;

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({ imports: [ProductsModule] }).compile();
    app = moduleRef.createNestApplication();
    await app.init();
    const cache = app.get(CacheAsideService); // the token the test imports is the module's
    for (let i = 0; i < 50 && !(await cache.isAvailable()); i++)
      await new Promise((r) => setTimeout(r, 100));
    expect(await cache.isAvailable()).toBe(true);
  });

  afterAll(async () => {
    await app?.close();
  });

  it('caches a decorated method behind a controller, and evicts after a write', async () => {
    const products = app.get(ProductsService);
    const server = app.getHttpServer();

    await request(server).get('/products/1').expect(200, { id: 1, name: 'Kettle' });
    await request(server).get('/products/1').expect(200, { id: 1, name: 'Kettle' });
    expect(products.loads).toBe(1);

    await request(server).put('/products/1/name/Teapot').expect(200);
    await request(server).get('/products/1').expect(200, { id: 1, name: 'Teapot' });
    expect(products.loads).toBe(2);
  });

  it('wrote its entries to Redis, under the configured prefix', async () => {
    const redis = createClient({ url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' });
    await redis.connect();
    try {
      const keys = await redis.keys(`*${keyPrefix}*`);
      expect(keys.length).toBeGreaterThan(0);
      await redis.del(keys);
    } finally {
      redis.destroy();
    }
  });
});
