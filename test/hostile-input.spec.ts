import { Logger } from '@nestjs/common';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileKeyTemplate } from '../libs/cache-aside/src/keys';
import { startCacheApp, type CacheApp } from './support/cache-app';
import { OwnRedis } from './support/own-redis';
import { connectTestRedis, deletePrefix, uniquePrefix, type TestRedis } from './support/redis';

jest.setTimeout(30_000);

describe('bad data and hostile input (real Redis)', () => {
  const prefix = uniquePrefix('hostile');
  let redis: TestRedis;
  let node: CacheApp;
  let warnings: string[];

  beforeAll(async () => {
    redis = await connectTestRedis();
    node = await startCacheApp({ keyPrefix: prefix, maxValueBytes: 10_000 });
  });

  beforeEach(() => {
    warnings = [];
    jest.spyOn(Logger.prototype, 'warn').mockImplementation((message: unknown) => {
      warnings.push(String(message));
    });
  });

  afterEach(() => jest.restoreAllMocks());

  afterAll(async () => {
    await node.close();
    await deletePrefix(redis, prefix);
    redis.destroy();
  });

  it.each([
    ['garbage', 'not an entry at all'],
    ['truncated', '2|9999999999999|3|0|0|A[{"a":'],
    ['another format version', '3|9999999999999|3|0|0|J{"a":1}'],
    ['the format before tag versions', '1|9999999999999|3|J{"a":1}'],
    ['a tag list longer than the header', '2|9999999999999|3|5|99|tag|J{"a":1}'],
    ['a foreign JSON value', '{"a":1}'],
    ['an empty string', ''],
  ])(
    'treats %s under our key as a miss: logged once, replaced, never thrown',
    async (_label, raw) => {
      const key = `corrupt:${_label.replace(/\W/g, '-')}`;
      await redis.set(`${prefix}:{${key}}`, raw, { EX: 60 });
      const first = await node.cache.getOrLoadWithStatus(key, async () => ({ fresh: true }));
      expect(first).toEqual({ value: { fresh: true }, status: 'MISS' });
      expect(await node.cache.getOrLoadWithStatus(key, async () => ({ fresh: false }))).toEqual({
        value: { fresh: true },
        status: 'HIT',
        source: 'redis',
      });
      expect(warnings.filter((w) => w.includes('corrupt or foreign'))).toHaveLength(1);
    },
  );

  it('a hash of the wrong shape under our key is a miss too', async () => {
    await redis.hSet(`${prefix}:{corrupt:hash}`, { unrelated: 'x' });
    await redis.expire(`${prefix}:{corrupt:hash}`, 60);
    expect(
      await node.cache.getOrLoad('corrupt:hash', async () => 'loaded', { storage: 'hash' }),
    ).toBe('loaded');
    expect(
      await node.cache.getOrLoad('corrupt:hash', async () => 'again', { storage: 'hash' }),
    ).toBe('loaded');
  });

  it('cached data cannot pollute prototypes', async () => {
    const hostile =
      '2|9999999999999|1|0|0|A[{"__proto__":{"polluted":1},"constructor":{"prototype":{"x":1}}},[[["__proto__","polluted"],"D"]]]';
    await redis.set(`${prefix}:{proto:1}`, hostile, { EX: 60 });
    const value = await node.cache.getOrLoad('proto:1', async () => ({ safe: true }));
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(({} as Record<string, unknown>).x).toBeUndefined();
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    const own = JSON.parse('{"__proto__":{"polluted":2}}');
    const roundTrip = await node.cache.getOrLoad('proto:2', async () => own);
    const cached = await node.cache.getOrLoad<unknown>('proto:2', async () => null);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(cached)).toBe(Object.prototype);
    expect(Object.keys(cached as object)).toEqual(Object.keys(roundTrip));
  });

  it('does not cache oversized values: returns them, warns, and Redis never receives them', async () => {
    const big = { blob: 'x'.repeat(50_000) };
    expect(await node.cache.getOrLoad('big:1', async () => big)).toEqual(big);
    expect(await redis.exists(`${prefix}:{big:1}`)).toBe(0);
    expect(warnings.some((w) => w.includes('maxValueBytes'))).toBe(true);
    expect(node.cache.stats().uncacheableValues).toBeGreaterThan(0);
  });

  it('keeps keys built from hostile input inside the namespace, length-capped and collision-free', async () => {
    const inputs = [
      'a'.repeat(5000),
      'a'.repeat(5000) + 'b',
      '}{evil}',
      '\u0000\r\n*?[x]',
      'é'.repeat(400),
    ];
    const keyOf = compileKeyTemplate('user:{0}', { className: 'Test', methodName: 'find' }, 1);
    const keys = inputs.map((input) => keyOf([input]));
    expect(new Set(keys).size).toBe(inputs.length);
    for (const key of keys) {
      expect(key.length).toBeLessThanOrEqual(512);
      expect(key.startsWith('user:')).toBe(true);
      expect(key).not.toMatch(/[{}\s*?[\]]/);
    }
    for (const [i, key] of keys.entries()) await node.cache.getOrLoad(key, async () => inputs[i]);
    for (const [i, key] of keys.entries()) expect(await node.cache.get(key)).toBe(inputs[i]);
  });
});

describe('credentials', () => {
  let server: OwnRedis;

  beforeAll(async () => {
    server = await OwnRedis.start();
    const admin = await connectTestRedis(server.url);
    await admin.sendCommand([
      'ACL',
      'SETUSER',
      'cacheuser',
      'on',
      '>s3cret-pass',
      '~*',
      '&*',
      '+@all',
    ]);
    await admin.sendCommand(['ACL', 'SETUSER', 'default', 'off']);
    admin.destroy();
  });

  afterAll(() => server.kill());

  it('connects with an ACL user and password in the URL', async () => {
    const app = await startCacheApp({
      redis: `redis://cacheuser:s3cret-pass@127.0.0.1:${server.port}`,
      keyPrefix: 'acl',
    });
    try {
      await app.cache.getOrLoad('k', async () => 'v');
      expect((await app.cache.getOrLoadWithStatus('k', async () => 'x')).status).toBe('HIT');
    } finally {
      await app.close();
    }
  });

  it('connects over TLS with a rediss:// URL', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cache-aside-tls-'));
    const cert = join(dir, 'cert.pem');
    const key = join(dir, 'key.pem');
    execFileSync(
      'openssl',
      [
        ...['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1'],
        ...['-keyout', key, '-out', cert, '-subj', '/CN=127.0.0.1'],
        ...['-addext', 'subjectAltName=IP:127.0.0.1'],
      ],
      { stdio: 'ignore' },
    );
    const tlsServer = await OwnRedis.startTls({ cert, key });
    const app = await startCacheApp({
      redis: { url: tlsServer.url, socket: { tls: true, ca: readFileSync(cert) } },
      keyPrefix: 'tls',
    });
    try {
      await app.cache.getOrLoad('k', async () => 'v');
      expect((await app.cache.getOrLoadWithStatus('k', async () => 'x')).status).toBe('HIT');
    } finally {
      await app.close();
      await tlsServer.kill();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('never logs the password, even when it is wrong', async () => {
    const logged: string[] = [];
    for (const level of ['log', 'warn', 'error', 'debug'] as const) {
      jest.spyOn(Logger.prototype, level).mockImplementation((...args: unknown[]) => {
        logged.push(String(args[0]));
      });
    }
    const app = await startCacheApp(
      { redis: `redis://cacheuser:wrong-secret-123@127.0.0.1:${server.port}`, keyPrefix: 'acl' },
      { waitForRedis: false },
    );
    try {
      expect(await app.cache.getOrLoad('k', async () => 'from loader')).toBe('from loader');
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(logged.length).toBeGreaterThan(0);
      expect(logged.join('\n')).not.toContain('wrong-secret-123');
      expect(logged.join('\n')).toContain('127.0.0.1');
    } finally {
      await app.close();
      jest.restoreAllMocks();
    }
  });
});
