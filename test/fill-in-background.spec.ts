import { sleep, startCacheApp, type CacheApp } from './support/cache-app';
import { OwnRedis } from './support/own-redis';
import { connectTestRedis, type TestRedis } from './support/redis';

jest.setTimeout(30_000);

/*
 * A miss answers as soon as its loader has: the fill goes to Redis without the caller
 * waiting for its reply (a round trip off every miss). What makes that safe is the order
 * of commands on a connection: whatever this process asks about the key afterwards is
 * queued behind the fill, and another process finds the lease held until the fill lands.
 * A server of the test's own, because `CLIENT PAUSE WRITE` holds every client's writes.
 */
describe('a miss answers without waiting for its fill (real Redis)', () => {
  const PAUSE_MS = 400;
  let server: OwnRedis;
  let admin: TestRedis;
  let holder: CacheApp;
  let other: CacheApp;

  beforeAll(async () => {
    server = await OwnRedis.start();
    admin = await connectTestRedis(server.url);
    // a command timeout well past the pause: a fill held by it must not time out
    const options = {
      redis: server.url,
      keyPrefix: 'bg',
      commandTimeoutMs: 3000,
      earlyRefresh: false,
    };
    [holder, other] = await Promise.all([startCacheApp(options), startCacheApp(options)]);
  });

  afterAll(async () => {
    await Promise.all([holder.close(), other.close()]);
    admin.destroy();
    await server.kill();
  });

  /** A loader that returns once `open` is called, counting its runs. */
  function gatedLoader(value: string) {
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const loader = {
      runs: 0,
      open: () => open(),
      load: async () => (loader.runs++, await gate, value),
    };
    return loader;
  }

  it('resolves while the server holds the fill, and the next read waits for it and hits', async () => {
    const loader = gatedLoader('v1');
    const read = holder.cache.getOrLoad('k1', loader.load, { ttlSeconds: 30 });
    await sleep(50); // the lease is granted, the loader waits
    await admin.sendCommand(['CLIENT', 'PAUSE', String(PAUSE_MS), 'WRITE']);
    const paused = performance.now();
    loader.open();
    await expect(read).resolves.toBe('v1');
    // the fill (a script: held by the pause) was sent, but not waited for
    expect(performance.now() - paused).toBeLessThan(PAUSE_MS / 2);
    // this process's next read queues behind the fill on the same connection
    await expect(
      holder.cache.getOrLoadWithStatus('k1', loader.load, { ttlSeconds: 30 }),
    ).resolves.toMatchObject({ value: 'v1', status: 'HIT' });
    expect(performance.now() - paused).toBeGreaterThan(PAUSE_MS * 0.75);
    expect(loader.runs).toBe(1);
  });

  it('another process that reads before the fill lands waits for it: still one load', async () => {
    const loader = gatedLoader('v2');
    const read = holder.cache.getOrLoad('k2', loader.load, { ttlSeconds: 30 });
    await sleep(50);
    await admin.sendCommand(['CLIENT', 'PAUSE', String(PAUSE_MS), 'WRITE']);
    loader.open();
    await expect(read).resolves.toBe('v2');
    // read-or-lease is a script too: it queues behind the pause, then finds the fill
    await expect(
      other.cache.getOrLoadWithStatus('k2', loader.load, { ttlSeconds: 30 }),
    ).resolves.toMatchObject({ value: 'v2', status: 'HIT' });
    expect(loader.runs).toBe(1);
    expect(await admin.exists('bg:{k2}')).toBe(1);
  });
});
