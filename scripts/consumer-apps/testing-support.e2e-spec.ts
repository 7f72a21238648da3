// Copied by run.sh into both consumer apps: the README's "testing your services" story.
// A decorated service under test with the in-memory store: no Redis, same semantics.
import { Injectable } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { CacheAsideModule, CacheAsideService, Cacheable, CacheEvict } from 'nest-cache-aside';
import { createClient } from 'redis';

const keyPrefix = `consumer-memory-${process.pid}-${Date.now()}`;

@Injectable()
class PricesService {
  loads = 0;
  private price = 100;

  @Cacheable('price:{0}', 60)
  async priceOf(_sku: string): Promise<number> {
    this.loads++;
    return this.price;
  }

  @CacheEvict('price:{0}')
  async setPrice(_sku: string, price: number): Promise<void> {
    this.price = price;
  }
}

describe("nest-cache-aside's testing support: CacheAsideModule.forRoot({ store: 'memory' })", () => {
  it('caches and evicts in memory, and never touches Redis', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [CacheAsideModule.forRoot({ store: 'memory', keyPrefix })],
      providers: [PricesService],
    }).compile();
    await moduleRef.init();
    try {
      const prices = moduleRef.get(PricesService);
      expect(await prices.priceOf('A-1')).toBe(100);
      expect(await prices.priceOf('A-1')).toBe(100);
      expect(prices.loads).toBe(1);

      await prices.setPrice('A-1', 120);
      expect(await prices.priceOf('A-1')).toBe(120);
      expect(prices.loads).toBe(2);
      expect(moduleRef.get(CacheAsideService).stats().hits).toBe(1);
    } finally {
      await moduleRef.close();
    }

    const redis = createClient({ url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' });
    await redis.connect();
    try {
      expect(await redis.keys(`*${keyPrefix}*`)).toEqual([]);
    } finally {
      redis.destroy();
    }
  });
});
