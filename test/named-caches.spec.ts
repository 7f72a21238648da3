import { Injectable, Module, type INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import {
  Cacheable,
  CacheAsideModule,
  CacheAsideService,
  CacheEvict,
  CacheInstanceNameError,
  CacheOptionsError,
  CachePatch,
  getCacheAsideToken,
  InjectCacheAside,
} from 'nest-cache-aside';
import { waitUntilConnected } from './support/cache-app';
import {
  connectTestRedis,
  deletePrefix,
  REDIS_URL,
  uniquePrefix,
  type TestRedis,
} from './support/redis';

const CONFIG = Symbol('CONFIG');

/** One class using both caches: the default one and 'sessions'. */
@Injectable()
class AccountService {
  loads = { profile: 0, session: 0, item: 0, sessionItem: 0 };

  @Cacheable('profile:{0}')
  async profile(id: number): Promise<{ id: number; name: string }> {
    this.loads.profile++;
    return { id, name: `user ${id}` };
  }

  @Cacheable({ key: 'session:{0}', cache: 'sessions', storage: 'hash' })
  async session(id: string): Promise<{ id: string; seenAt: number }> {
    this.loads.session++;
    return { id, seenAt: 1 };
  }

  @CachePatch<{ id: string; seenAt: number }>({
    key: 'session:{0}',
    fields: ['seenAt'],
    cache: 'sessions',
  })
  async touch(id: string, seenAt: number): Promise<{ id: string; seenAt: number }> {
    return { id, seenAt };
  }

  // the same logical key in both caches
  @Cacheable('item:{0}')
  async item(id: number): Promise<string> {
    this.loads.item++;
    return `item ${id}`;
  }

  @Cacheable({ key: 'item:{0}', cache: 'sessions' })
  async sessionItem(id: number): Promise<string> {
    this.loads.sessionItem++;
    return `session item ${id}`;
  }

  @CacheEvict({ keys: 'item:{0}', cache: 'sessions' })
  async dropSessionItem(_id: number): Promise<void> {}
}

@Injectable()
class CacheConsumer {
  constructor(
    readonly defaultCache: CacheAsideService,
    @InjectCacheAside('sessions') readonly sessions: CacheAsideService,
  ) {}
}

describe('named caches (real Redis)', () => {
  const defaultPrefix = uniquePrefix('named-default');
  const sessionsPrefix = uniquePrefix('named-sessions');
  let redis: TestRedis;
  let app: INestApplicationContext;
  let accounts: AccountService;

  beforeAll(async () => {
    redis = await connectTestRedis();
    @Module({ providers: [{ provide: CONFIG, useValue: sessionsPrefix }], exports: [CONFIG] })
    class ConfigModule {}
    const moduleRef = await Test.createTestingModule({
      imports: [
        CacheAsideModule.forRoot({ redis: REDIS_URL, keyPrefix: defaultPrefix }),
        CacheAsideModule.forRootAsync({
          name: 'sessions',
          imports: [ConfigModule],
          inject: [CONFIG],
          useFactory: (prefix: string) => ({
            redis: REDIS_URL,
            keyPrefix: prefix,
            defaultTtlSeconds: 5,
          }),
        }),
      ],
      providers: [AccountService, CacheConsumer],
    }).compile();
    app = await moduleRef.init();
    accounts = app.get(AccountService);
  });
  afterAll(async () => {
    await app.close();
    await deletePrefix(redis, defaultPrefix);
    await deletePrefix(redis, sessionsPrefix);
    redis.destroy();
  });

  it('each method writes under its own cache prefix, with its own cache options', async () => {
    await accounts.profile(1);
    await accounts.session('s1');
    expect(await redis.exists(`${defaultPrefix}:{profile:1}`)).toBe(1);
    expect(await redis.exists(`${sessionsPrefix}:{profile:1}`)).toBe(0);
    expect(await redis.type(`${sessionsPrefix}:{session:s1}`)).toBe('hash');
    expect(await redis.exists(`${defaultPrefix}:{session:s1}`)).toBe(0);
    const sessionTtl = await redis.pTTL(`${sessionsPrefix}:{session:s1}`);
    expect(sessionTtl).toBeGreaterThan(0);
    expect(sessionTtl).toBeLessThanOrEqual(5000);
    expect(await redis.pTTL(`${defaultPrefix}:{profile:1}`)).toBeGreaterThan(5000);
    await accounts.profile(1);
    await accounts.session('s1');
    expect(accounts.loads).toMatchObject({ profile: 1, session: 1 });
  });

  it('an eviction in one cache leaves the same key in the other alone', async () => {
    await accounts.item(7);
    await accounts.sessionItem(7);
    expect(await redis.exists(`${defaultPrefix}:{item:7}`)).toBe(1);
    expect(await redis.exists(`${sessionsPrefix}:{item:7}`)).toBe(1);
    await accounts.dropSessionItem(7);
    expect(await redis.exists(`${sessionsPrefix}:{item:7}`)).toBe(0);
    expect(await redis.exists(`${defaultPrefix}:{item:7}`)).toBe(1);
    expect(await accounts.item(7)).toBe('item 7');
    expect(await accounts.sessionItem(7)).toBe('session item 7');
    expect(accounts.loads).toMatchObject({ item: 1, sessionItem: 2 });
  });

  it('@CachePatch goes to its named cache', async () => {
    await accounts.session('s2');
    await accounts.touch('s2', 42);
    expect(await accounts.session('s2')).toEqual({ id: 's2', seenAt: 42 });
    expect(accounts.loads.session).toBe(2); // s1 earlier, s2 once
  });

  it('each cache has its injection token: CacheAsideService for the default, @InjectCacheAside(name) for a named one', () => {
    const consumer = app.get(CacheConsumer);
    expect(consumer.sessions).toBe(app.get(getCacheAsideToken('sessions')));
    expect(consumer.sessions).not.toBe(consumer.defaultCache);
    expect(consumer.defaultCache).toBe(app.get(getCacheAsideToken()));
    expect(getCacheAsideToken('default')).toBe(CacheAsideService);
  });

  it('service calls go to their own cache too', async () => {
    const { defaultCache, sessions } = app.get(CacheConsumer);
    await waitUntilConnected(sessions);
    expect(await sessions.set('direct', 'in sessions')).toBe(true);
    expect(await defaultCache.get('direct')).toBeUndefined();
    expect(await redis.exists(`${sessionsPrefix}:{direct}`)).toBe(1);
  });
});

describe('named caches: mistakes fail start-up', () => {
  const prefix = uniquePrefix('named-errors');

  @Injectable()
  class Unnamed {
    @Cacheable('plain:{0}')
    async find(id: number): Promise<number> {
      return id;
    }
  }

  it('a method naming a cache no module defines', async () => {
    @Injectable()
    class Misnamed {
      @Cacheable({ key: 'x:{0}', cache: 'nope' })
      async find(id: number): Promise<number> {
        return id;
      }
    }
    const moduleRef = await Test.createTestingModule({
      imports: [CacheAsideModule.forRoot({ store: 'memory' })],
      providers: [Misnamed],
    }).compile();
    const failure = await moduleRef.init().then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(CacheInstanceNameError);
    expect((failure as CacheInstanceNameError).code).toBe('CACHE_INSTANCE_NAME');
    expect((failure as Error).message).toMatch(
      /Misnamed\.find uses the cache 'nope', which no CacheAsideModule defines \(this application has: 'default'\); import CacheAsideModule\.forRoot\(\{ name: 'nope'/,
    );
    await moduleRef.close();
  });

  it('a method of the default cache in an app with named caches only', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [CacheAsideModule.forRoot({ name: 'sessions', store: 'memory' })],
      providers: [Unnamed],
    }).compile();
    await expect(moduleRef.init()).rejects.toThrow(
      /Unnamed\.find uses the default cache \(its decorator names none\), which no CacheAsideModule defines \(this application has: 'sessions'\)/,
    );
    await moduleRef.close();
  });

  it.each([
    ['named', 'sessions', /define the cache named 'sessions'.*give each cache its own name/],
    ['default', undefined, /define the default \(unnamed\) cache.*Import the module once/],
  ])('two modules defining the same %s cache', async (_which, name, message) => {
    @Module({
      imports: [CacheAsideModule.forRoot({ name, store: 'memory', keyPrefix: `${prefix}-a` })],
    })
    class FeatureA {}
    @Module({
      imports: [CacheAsideModule.forRoot({ name, store: 'memory', keyPrefix: `${prefix}-b` })],
    })
    class FeatureB {}
    const moduleRef = await Test.createTestingModule({
      imports: [FeatureA, FeatureB],
      providers: [Unnamed],
    }).compile();
    await expect(moduleRef.init()).rejects.toThrow(message);
    await moduleRef.close();
  });

  it('an empty name', () => {
    expect(() => CacheAsideModule.forRoot({ name: '' })).toThrow(CacheOptionsError);
    expect(() =>
      Cacheable({ key: 'k', cache: ' ' })(
        Unnamed.prototype,
        'find',
        Object.getOwnPropertyDescriptor(Unnamed.prototype, 'find')!,
      ),
    ).toThrow(/Unnamed\.find: a cache name must be a non-empty string/);
  });
});
