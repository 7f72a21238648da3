// Copied by run.sh into a fresh Nest 12 app (ESM + Vitest, or CommonJS + Jest) that installed
// nest-cache-aside from its tarball, beside the README's quick start (app/src/products, copied
// into the app's src/): a user's first e2e, against the Redis at REDIS_URL.
import { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { CacheAsideService } from 'nest-cache-aside';
import { createClient } from 'redis';
import request from 'supertest';
import { ProductsModule } from '../src/products/products.module.js';
import { ProductsService } from '../src/products/products.service.js';

// read by the quick start's forRootAsync factory through ConfigService
const keyPrefix = `consumer-e2e-${process.pid}-${Date.now()}`;
process.env.CACHE_KEY_PREFIX = keyPrefix;

describe('nest-cache-aside, installed from its tarball', () => {
  let app: INestApplication;

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({ imports: [ProductsModule] }).compile();
    app = moduleRef.createNestApplication();
    await app.init(); // waits for the first Redis connection (startupWaitMs)
    expect(await app.get(CacheAsideService).isAvailable()).toBe(true);
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
      const keys = await redis.keys(`${keyPrefix}:*`);
      expect(keys.length).toBeGreaterThan(0);
      await redis.del(keys);
    } finally {
      redis.destroy();
    }
  });
});
