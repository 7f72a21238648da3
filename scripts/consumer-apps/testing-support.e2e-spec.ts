// Copied by run.sh into both consumer apps: the README's "Testing your services" (the part
// between the #region lines is quoted there verbatim). The quick start's ProductsService
// under test with the in-memory store: no Redis, same semantics.
import { Test } from '@nestjs/testing';
import { CacheAsideModule, CacheAsideService } from 'nest-cache-aside';
import { createClient } from 'redis';
import { ProductsService } from '../src/products/products.service.js';

describe("nest-cache-aside's testing support: CacheAsideModule.forRoot({ store: 'memory' })", () => {
  it('caches and evicts in memory, and never touches Redis', async () => {
    // #region readme
    const moduleRef = await Test.createTestingModule({
      imports: [CacheAsideModule.forRoot({ store: 'memory' })],
      providers: [ProductsService],
    }).compile();
    await moduleRef.init();
    try {
      const products = moduleRef.get(ProductsService);
      await Promise.all([products.findOne(1), products.findOne(1)]);
      expect(await products.findOne(1)).toEqual({ id: 1, name: 'Kettle' });
      expect(products.loads).toBe(1); // one load for three calls

      await products.rename(1, 'Teapot'); // @CacheEvict('product:{0}')
      expect(await products.findOne(1)).toEqual({ id: 1, name: 'Teapot' });
      expect(products.loads).toBe(2);
      expect(moduleRef.get(CacheAsideService).stats().hits).toBe(1);
    } finally {
      await moduleRef.close(); // unbinds ProductsService: the next test module starts clean
    }
    // #endregion readme

    const redis = createClient({ url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' });
    await redis.connect();
    try {
      // the default prefix's key of product 1: the consumer apps' Redis tests use their own
      expect(await redis.exists('cache:{product:1}')).toBe(0);
    } finally {
      redis.destroy();
    }
  });
});
