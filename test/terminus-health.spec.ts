import { Controller, Get, Logger, type INestApplication } from '@nestjs/common';
import { HealthCheck, HealthCheckService, TerminusModule } from '@nestjs/terminus';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { CacheAsideModule, CacheAsideService, CacheOptionsError } from 'nest-cache-aside';
import { CacheHealthIndicator } from 'nest-cache-aside/terminus';
import { sleep, waitUntilConnected } from './support/cache-app';
import { OwnRedis } from './support/own-redis';
import { connectTestRedis, type TestRedis } from './support/redis';

jest.setTimeout(60_000);

@Controller('health')
class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly cache: CacheHealthIndicator,
  ) {}

  @Get()
  @HealthCheck()
  check() {
    return this.health.check([() => this.cache.check('cache')]);
  }

  @Get('strict')
  @HealthCheck()
  strict() {
    return this.health.check([() => this.cache.check('cache', { whenUnavailable: 'down' })]);
  }
}

async function startApp(options: { redis: string; enabled?: boolean }): Promise<INestApplication> {
  const moduleRef = await Test.createTestingModule({
    imports: [
      CacheAsideModule.forRoot({
        ...options,
        commandTimeoutMs: 100,
        breakerOpenMs: 200,
        // The refused evictions below must not open the circuit: PING must go through.
        breakerFailureThreshold: 100,
      }),
      TerminusModule.forRoot({ logger: false }),
    ],
    controllers: [HealthController],
    providers: [CacheHealthIndicator],
  }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  await app.init();
  return app;
}

async function createAppUser(admin: TestRedis): Promise<void> {
  await admin.sendCommand(['ACL', 'SETUSER', 'app', 'on', '>app-secret', '~*', '&*', '+@all']);
}

/** Asks `/health` until it says ok (the cache reconnects and replays by itself), or gives up. */
async function healthOnceOk(app: INestApplication, attempts = 100) {
  let res = await request(app.getHttpServer()).get('/health');
  for (let i = 0; i < attempts && res.body.status !== 'ok'; i++) {
    await sleep(50);
    res = await request(app.getHttpServer()).get('/health');
  }
  return res;
}

const UNAVAILABLE = 'Redis is unavailable: reads go to the loaders (X-Cache: BYPASS)';
const UNTRUSTED =
  'Redis answers, but evictions that failed while it was unreachable are not applied yet: reads go to the loaders until they are';

// A redis-server of the test's own: the test changes its ACL users and kills it.
describe('CacheHealthIndicator (nest-cache-aside/terminus, a redis-server of our own)', () => {
  let server: OwnRedis;
  let app: INestApplication;
  let admin: TestRedis;

  beforeAll(async () => {
    server = await OwnRedis.start();
    admin = await connectTestRedis(server.url);
    await createAppUser(admin);
    app = await startApp({ redis: `redis://app:app-secret@127.0.0.1:${server.port}` });
    await waitUntilConnected(app.get(CacheAsideService));
  });

  afterAll(async () => {
    await app.close();
    admin.destroy();
    await server.kill();
  });

  const health = (path = '/health') => request(app.getHttpServer()).get(path);

  it('is up when Redis answers and the cache is trusted', async () => {
    const res = await health().expect(200);
    expect(res.body).toEqual({
      status: 'ok',
      info: { cache: { status: 'up' } },
      error: {},
      details: { cache: { status: 'up' } },
    });
    await health('/health/strict').expect(200);
  });

  it('is degraded (200), or down (503) when asked, while evictions from an outage wait', async () => {
    const cache = app.get(CacheAsideService);
    await cache.set('product:1', 'v1', 60);
    // The cache's user loses its write and script rights while PING still answers: the
    // eviction is refused and kept for later, with Redis reachable.
    await admin.sendCommand(['ACL', 'SETUSER', 'app', '-@write', '-@scripting']);
    try {
      expect(await cache.del('product:1')).toBe(false);
      expect(await cache.isAvailable()).toBe(true);

      const degraded = await health().expect(200);
      expect(degraded.body).toMatchObject({
        status: 'degraded',
        info: { cache: { status: 'degraded', message: UNTRUSTED } },
      });
      const down = await health('/health/strict').expect(503);
      expect(down.body).toMatchObject({
        status: 'error',
        error: { cache: { status: 'down', message: UNTRUSTED } },
      });
    } finally {
      await admin.sendCommand(['ACL', 'SETUSER', 'app', '+@all']);
    }
    // The check applies the pending eviction itself once writes go through again.
    const res = await healthOnceOk(app);
    expect(res.status).toBe(200);
    expect(res.body.info).toEqual({ cache: { status: 'up' } });
    expect(await admin.exists('cache:{product:1}')).toBe(0);
  });

  it('is degraded (200), or down (503) when asked, while Redis is unreachable, and up once it is back', async () => {
    await server.kill();
    const degraded = await health().expect(200);
    expect(degraded.body).toMatchObject({
      status: 'degraded',
      info: { cache: { status: 'degraded', message: UNAVAILABLE } },
    });
    const down = await health('/health/strict').expect(503);
    expect(down.body).toMatchObject({
      status: 'error',
      error: { cache: { status: 'down', message: UNAVAILABLE } },
    });

    await server.start();
    // A new redis-server: the cache's ACL user again, through a new admin connection.
    admin.destroy();
    admin = await connectTestRedis(server.url);
    await createAppUser(admin);
    const res = await healthOnceOk(app);
    expect(res.body).toMatchObject({ status: 'ok', info: { cache: { status: 'up' } } });
  });

  it('rejects an unknown whenUnavailable', async () => {
    const indicator = app.get(CacheHealthIndicator);
    await expect(indicator.check('cache', { whenUnavailable: 'error' as 'down' })).rejects.toThrow(
      new CacheOptionsError(
        `CacheHealthIndicator.check('cache'): whenUnavailable must be 'degraded' or 'down', not "error"`,
      ),
    );
  });

  it('is up, saying so, when caching is turned off', async () => {
    const disabled = await startApp({ redis: server.url, enabled: false });
    try {
      const res = await request(disabled.getHttpServer()).get('/health/strict').expect(200);
      expect(res.body.info).toEqual({ cache: { status: 'up', cache: 'disabled' } });
    } finally {
      await disabled.close();
    }
  });
});

// A redis-server of the test's own with maxmemory + noeviction: Redis answers PING and
// GET but refuses every write, so the cache can't be trusted and nothing new is cached.
describe('a Redis that refuses writes (OOM under maxmemory, noeviction)', () => {
  let server: OwnRedis;
  let app: INestApplication;
  let admin: TestRedis;

  beforeAll(async () => {
    server = await OwnRedis.start();
    admin = await connectTestRedis(server.url);
    app = await startApp({ redis: server.url });
    await waitUntilConnected(app.get(CacheAsideService));
  });

  afterAll(async () => {
    await app.close();
    admin.destroy();
    await server.kill();
  });

  it('health says degraded and why, stats() tell the error and since when, logs repeat with a count', async () => {
    const cache = app.get(CacheAsideService);
    await cache.set('product:1', 'v1', 60);
    const warn = jest.spyOn(Logger.prototype, 'warn');
    await admin.configSet({ 'maxmemory-policy': 'noeviction', maxmemory: '1' });
    try {
      expect(await cache.invalidateTags('category:1')).toBe(false);
      for (let i = 0; i < 50; i++) {
        expect(await cache.set(`other:${i}`, i, 60)).toBe(false);
      }
      const stats = cache.stats();
      expect(stats.lastRedisError).toMatchObject({ kind: 'writes-refused' });
      expect(stats.lastRedisError?.message).toMatch(/^OOM/);
      expect(stats.writesRefusedSince).toEqual(expect.any(Number));
      expect(stats.pendingEvictions).toBeGreaterThan(0);
      const refusals = warn.mock.calls.filter(([line]) => /writes-refused/.test(String(line)));
      expect(refusals).toHaveLength(1); // the first at once; the other 50 summed up later

      const res = await request(app.getHttpServer()).get('/health').expect(200);
      expect(res.body.info.cache).toMatchObject({
        status: 'degraded',
        message: expect.stringMatching(/refuses writes/),
        since: new Date(stats.writesRefusedSince!).toISOString(),
        lastError: expect.stringMatching(/OOM/),
      });
    } finally {
      warn.mockRestore();
      await admin.configSet({ maxmemory: '0' });
    }
    // writes are taken again: the pending invalidation is applied and health is up
    const res = await healthOnceOk(app);
    expect(res.body.info).toEqual({ cache: { status: 'up' } });
    expect(cache.stats().writesRefusedSince).toBeNull();
    expect(cache.stats().pendingEvictions).toBe(0);
  });
});

@Controller('health')
class SessionsHealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly cache: CacheHealthIndicator,
  ) {}

  @Get()
  @HealthCheck()
  check() {
    return this.health.check([() => this.cache.check('sessions', { cache: 'sessions' })]);
  }
}

describe('CacheHealthIndicator for a named cache, in an app with named caches only', () => {
  let server: OwnRedis;
  let app: INestApplication;

  beforeAll(async () => {
    server = await OwnRedis.start();
    const moduleRef = await Test.createTestingModule({
      imports: [
        CacheAsideModule.forRoot({
          name: 'sessions',
          redis: server.url,
          commandTimeoutMs: 100,
          breakerOpenMs: 200,
        }),
        TerminusModule.forRoot({ logger: false }),
      ],
      controllers: [SessionsHealthController],
      providers: [CacheHealthIndicator],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.init();
  });

  afterAll(async () => {
    await app.close();
    await server.kill();
  });

  it('checks the cache it names: up, then degraded once its Redis is gone', async () => {
    const up = await request(app.getHttpServer()).get('/health').expect(200);
    expect(up.body.info).toEqual({ sessions: { status: 'up' } });
    await server.kill();
    const degraded = await request(app.getHttpServer()).get('/health').expect(200);
    expect(degraded.body.info.sessions).toMatchObject({ status: 'degraded', message: UNAVAILABLE });
  });

  it('a cache no module defines is a clear error', async () => {
    const indicator = app.get(CacheHealthIndicator);
    await expect(indicator.check('x', { cache: 'carts' })).rejects.toThrow(
      "CacheHealthIndicator.check('x'): no cache named 'carts' is defined (CacheAsideModule.forRoot({ name: 'carts' }))",
    );
    await expect(indicator.check('x')).rejects.toThrow(/no cache without a name/);
  });
});
