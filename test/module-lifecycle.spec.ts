import { ConsoleLogger, Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import { Cacheable, CacheAsideModule, CacheAsideService } from 'nest-cache-aside';
import { waitUntilConnected } from './support/cache-app';
import { freePort } from './support/own-redis';
import {
  connectTestRedis,
  deletePrefix,
  REDIS_URL,
  uniquePrefix,
  type TestRedis,
} from './support/redis';

@Injectable()
class GreetingService {
  loads = 0;

  @Cacheable('greeting:{0}', 30)
  async greet(name: string): Promise<string> {
    this.loads++;
    return `hello ${name}`;
  }
}

describe('CacheAsideModule lifecycle', () => {
  let redis: TestRedis;
  const prefix = uniquePrefix('lifecycle');

  beforeAll(async () => (redis = await connectTestRedis()));
  afterAll(async () => {
    await deletePrefix(redis, prefix);
    redis.destroy();
  });

  it('closing a testing module unbinds its decorated classes: a later module without the cache loads every time', async () => {
    const first = await Test.createTestingModule({
      imports: [CacheAsideModule.forRoot({ redis: REDIS_URL, keyPrefix: prefix })],
      providers: [GreetingService],
    }).compile();
    const firstApp = await first.init();
    await waitUntilConnected(firstApp.get(CacheAsideService));
    const cached = firstApp.get(GreetingService);
    await cached.greet('ada');
    await cached.greet('ada');
    expect(cached.loads).toBe(1);
    const closedCache = firstApp.get(CacheAsideService);
    await firstApp.close();
    const closedCacheCalls = closedCache.stats();

    const second = await Test.createTestingModule({ providers: [GreetingService] }).compile();
    const secondApp = await second.init();
    const uncached = secondApp.get(GreetingService);
    // concurrent: a binding left behind would share one load through the closed module's flight
    await Promise.all([uncached.greet('ada'), uncached.greet('ada')]);
    expect(uncached.loads).toBe(2);
    expect(closedCache.stats()).toEqual(closedCacheCalls);
    await secondApp.close();
  });

  it('closing an older module leaves the binding of a newer one that bound the same class', async () => {
    const older = await (
      await Test.createTestingModule({
        imports: [CacheAsideModule.forRoot({ redis: REDIS_URL, keyPrefix: prefix })],
        providers: [GreetingService],
      }).compile()
    ).init();
    const newer = await (
      await Test.createTestingModule({
        imports: [CacheAsideModule.forRoot({ redis: REDIS_URL, keyPrefix: prefix })],
        providers: [GreetingService],
      }).compile()
    ).init();
    await older.close();
    await waitUntilConnected(newer.get(CacheAsideService));
    // an instance Nest didn't make caches through its class's (prototype's) binding
    const greetings = new GreetingService();
    await greetings.greet('bob');
    await greetings.greet('bob');
    expect(greetings.loads).toBe(1);
    await newer.close();
  });
});

describe('start-up waits for the first connection', () => {
  const prefix = uniquePrefix('startup');
  let redis: TestRedis;

  beforeAll(async () => (redis = await connectTestRedis()));
  afterAll(async () => {
    await deletePrefix(redis, prefix);
    redis.destroy();
  });

  it('the first call after init uses the cache: MISS, then HIT', async () => {
    const app = await NestFactory.createApplicationContext(
      CacheAsideModule.forRoot({ redis: REDIS_URL, keyPrefix: prefix }),
      { logger: false },
    );
    const cache = app.get(CacheAsideService);
    const load = () => 'loaded';
    expect((await cache.getOrLoadWithStatus('first', load)).status).toBe('MISS');
    expect((await cache.getOrLoadWithStatus('first', load)).status).toBe('HIT');
    await app.close();
  });

  it('with Redis down, init completes within startupWaitMs with a warning, and calls BYPASS', async () => {
    const warnings: string[] = [];
    const logger = new ConsoleLogger();
    logger.warn = (message: unknown) => void warnings.push(String(message));
    const deadUrl = `redis://127.0.0.1:${await freePort()}`;
    const started = Date.now();
    const app = await NestFactory.createApplicationContext(
      CacheAsideModule.forRoot({ redis: deadUrl, keyPrefix: prefix, startupWaitMs: 400 }),
      { logger },
    );
    const tookMs = Date.now() - started;
    expect(tookMs).toBeGreaterThanOrEqual(390);
    expect(tookMs).toBeLessThan(1500);
    expect(warnings).toContainEqual(
      expect.stringMatching(/did not connect within 400 ms of start-up.*served from the loader/),
    );
    const cache = app.get(CacheAsideService);
    expect(await cache.getOrLoadWithStatus('down', () => 'loaded')).toEqual({
      value: 'loaded',
      status: 'BYPASS',
    });
    await app.close();
  });

  it('several caches with Redis down wait for it at once: start-up takes one startupWaitMs, not one each', async () => {
    const deadUrl = `redis://127.0.0.1:${await freePort()}`;
    @Module({
      imports: [
        CacheAsideModule.forRoot({ redis: deadUrl, keyPrefix: prefix, startupWaitMs: 1000 }),
        CacheAsideModule.forRoot({
          name: 'second',
          redis: deadUrl,
          keyPrefix: `${prefix}-second`,
          startupWaitMs: 1000,
        }),
      ],
    })
    class TwoCachesModule {}
    const started = Date.now();
    const app = await NestFactory.createApplicationContext(TwoCachesModule, { logger: false });
    const tookMs = Date.now() - started;
    expect(tookMs).toBeGreaterThanOrEqual(990);
    expect(tookMs).toBeLessThan(1800); // one after the other: 2000 and more
    await app.close();
  }, 15_000);

  it('rejects a start-up wait that is not a number of milliseconds from 0 to 60000', async () => {
    for (const startupWaitMs of [-1, 60_001, Number.NaN]) {
      await expect(
        NestFactory.createApplicationContext(CacheAsideModule.forRoot({ startupWaitMs }), {
          logger: false,
          abortOnError: false,
        }),
      ).rejects.toThrow(/startupWaitMs must be a number from 0 to 60000/);
    }
  });
});
