import { Injectable, Module, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import {
  Cacheable,
  CacheAsideModule,
  CacheAsideService,
  CacheKeyTemplateError,
  CacheOptionsError,
} from 'nest-cache-aside';
import { waitUntilConnected } from './support/cache-app';
import { freePort } from './support/own-redis';
import {
  connectTestRedis,
  deletePrefix,
  REDIS_URL,
  uniquePrefix,
  type TestRedis,
} from './support/redis';

const CONFIG = Symbol('CONFIG');

@Injectable()
class GreetingService {
  calls = 0;

  @Cacheable('greeting:{0}', 30)
  async greet(name: string): Promise<string> {
    this.calls++;
    return `hello ${name}`;
  }
}

describe('CacheAsideModule configuration', () => {
  let redis: TestRedis;
  const prefix = uniquePrefix('module');
  const contexts: INestApplicationContext[] = [];

  beforeAll(async () => (redis = await connectTestRedis()));
  afterAll(async () => {
    await Promise.all(contexts.map((c) => c.close()));
    await deletePrefix(redis, prefix);
    redis.destroy();
  });

  it('forRootAsync takes options from a factory with injected providers; isGlobal exports the service everywhere', async () => {
    @Module({
      providers: [{ provide: CONFIG, useValue: { url: REDIS_URL, prefix } }],
      exports: [CONFIG],
    })
    class ConfigModule {}

    @Module({ providers: [GreetingService], exports: [GreetingService] })
    class FeatureModule {
      constructor(readonly cache: CacheAsideService) {} // injectable without importing the cache module
    }

    const moduleRef = await Test.createTestingModule({
      imports: [
        CacheAsideModule.forRootAsync({
          isGlobal: true,
          imports: [ConfigModule],
          inject: [CONFIG],
          useFactory: (config: { url: string; prefix: string }) => ({
            redis: config.url,
            keyPrefix: config.prefix,
          }),
        }),
        FeatureModule,
      ],
    }).compile();
    const app = await moduleRef.init();
    contexts.push(app);
    await waitUntilConnected(app.get(CacheAsideService));
    const greetings = app.get(GreetingService);
    expect(await greetings.greet('ada')).toBe('hello ada');
    expect(await greetings.greet('ada')).toBe('hello ada');
    expect(greetings.calls).toBe(1);
    expect(await redis.exists(`${prefix}:{greeting:ada}`)).toBe(1);
  });

  it('enabled: false runs decorated methods straight through and never connects', async () => {
    const deadPort = await freePort();
    const moduleRef = await Test.createTestingModule({
      imports: [
        CacheAsideModule.forRoot({ redis: `redis://127.0.0.1:${deadPort}`, enabled: false }),
      ],
      providers: [GreetingService],
    }).compile();
    const app = await moduleRef.init();
    contexts.push(app);
    const greetings = app.get(GreetingService);
    await greetings.greet('bob');
    await greetings.greet('bob');
    expect(greetings.calls).toBe(2);
    const cache = app.get(CacheAsideService);
    expect(await cache.set('k', 1)).toBe(false);
    expect(await cache.get('k')).toBeUndefined();
    expect(await cache.getOrLoadWithStatus('k', () => 7)).toEqual({ value: 7, status: 'BYPASS' });
  });

  it('a template naming a missing argument fails at start-up, naming class, method and template', () => {
    const define = () => {
      class BrokenService {
        @Cacheable('user:{1}', 10)
        async find(id: string): Promise<string> {
          return id;
        }
      }
      return BrokenService;
    };
    expect(define).toThrow(CacheKeyTemplateError);
    expect(define).toThrow(/BrokenService\.find.*user:\{1\}/);
  });

  it('rejects options that would break keys or make no sense, at start-up', async () => {
    await expect(
      NestFactory.createApplicationContext(CacheAsideModule.forRoot({ keyPrefix: 'bad{prefix}' }), {
        logger: false,
        abortOnError: false,
      }),
    ).rejects.toThrow(CacheOptionsError);
    await expect(
      NestFactory.createApplicationContext(CacheAsideModule.forRoot({ defaultTtlSeconds: -1 }), {
        logger: false,
        abortOnError: false,
      }),
    ).rejects.toThrow(/defaultTtlSeconds/);
  });

  it('profiles carry configured options to decorators; an unknown profile is a clear error', async () => {
    @Injectable()
    class ProfiledService {
      @Cacheable({ key: 'profiled:{0}', profile: 'short' })
      async find(id: number): Promise<number> {
        return id;
      }
    }
    @Injectable()
    class MisprofiledService {
      @Cacheable({ key: 'unprofiled:{0}', profile: 'nope' })
      async broken(id: number): Promise<number> {
        return id;
      }
    }
    const moduleRef = await Test.createTestingModule({
      imports: [
        CacheAsideModule.forRoot({
          redis: REDIS_URL,
          keyPrefix: prefix,
          profiles: { short: { ttlSeconds: 7 } },
        }),
      ],
      providers: [ProfiledService],
    }).compile();
    const app = await moduleRef.init();
    contexts.push(app);
    await waitUntilConnected(app.get(CacheAsideService));
    await app.get(ProfiledService).find(1);
    const ttl = await redis.ttl(`${prefix}:{profiled:1}`);
    expect(ttl).toBeGreaterThan(5);
    expect(ttl).toBeLessThanOrEqual(7);
    const misconfigured = await Test.createTestingModule({
      imports: [
        CacheAsideModule.forRoot({ enabled: false, profiles: { short: { ttlSeconds: 7 } } }),
      ],
      providers: [MisprofiledService],
    }).compile();
    await expect(misconfigured.init()).rejects.toThrow(
      /MisprofiledService\.broken: unknown cache profile 'nope'.*short/,
    );
    await expect(
      NestFactory.createApplicationContext(
        CacheAsideModule.forRoot({ profiles: { bad: { ttlSeconds: -5 } } }),
        { logger: false, abortOnError: false },
      ),
    ).rejects.toThrow(/profiles\.bad\.ttlSeconds/);
  });

  it('isAvailable says whether Redis answers', async () => {
    const up = await NestFactory.createApplicationContext(
      CacheAsideModule.forRoot({ redis: REDIS_URL, keyPrefix: prefix }),
      { logger: false },
    );
    const down = await NestFactory.createApplicationContext(
      CacheAsideModule.forRoot({
        redis: `redis://127.0.0.1:${await freePort()}`,
        keyPrefix: prefix,
        startupWaitMs: 0,
      }),
      { logger: false },
    );
    contexts.push(up, down);
    await waitUntilConnected(up.get(CacheAsideService));
    expect(await up.get(CacheAsideService).isAvailable()).toBe(true);
    expect(await down.get(CacheAsideService).isAvailable()).toBe(false);
  });

  it.each([
    ['after using the cache', '0'],
    ['right after start-up, while still connecting', '1'],
  ])(
    'an app with enableShutdownHooks exits by itself when closed %s: no open handles',
    async (_when, closeImmediately) => {
      const script = join(__dirname, 'workers', 'shutdown-worker.ts');
      const started = Date.now();
      const code = await new Promise<number | null>((resolve) => {
        const child = spawn(process.execPath, ['-r', '@swc-node/register', script], {
          cwd: join(__dirname, '..'),
          env: {
            ...process.env,
            SWC_NODE_PROJECT: join(__dirname, '..', 'tsconfig.json'),
            CACHE_PREFIX: prefix,
            CLOSE_IMMEDIATELY: closeImmediately,
          },
          stdio: 'inherit',
        });
        const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
        child.on('exit', (exitCode) => {
          clearTimeout(timer);
          resolve(exitCode);
        });
      });
      expect(code).toBe(0);
      expect(Date.now() - started).toBeLessThan(15_000);
    },
    20_000,
  );
});
