import { startCacheApp, sleep, waitUntilConnected, type CacheApp } from './support/cache-app';
import { OwnRedis } from './support/own-redis';

jest.setTimeout(60_000);

const COMMAND_TIMEOUT_MS = 100;
const LOADER_MS = 20;

describe('resilience under Redis faults (a redis-server of our own, killed and frozen by pid)', () => {
  const apps: CacheApp[] = [];
  const servers: OwnRedis[] = [];

  afterAll(async () => {
    await Promise.all(apps.map((a) => a.close()));
    await Promise.all(servers.map((s) => s.kill()));
  });

  async function setUp(options: Parameters<typeof startCacheApp>[0] = {}) {
    const server = await OwnRedis.start();
    servers.push(server);
    const app = await startCacheApp({
      redis: server.url,
      keyPrefix: 'resilience',
      commandTimeoutMs: COMMAND_TIMEOUT_MS,
      breakerOpenMs: 200,
      earlyRefresh: false,
      ...options,
    });
    apps.push(app);
    return { server, app };
  }

  /** Milliseconds from `since` until a read is served from Redis again. */
  async function timeToFirstHit(app: CacheApp, since: number): Promise<number> {
    for (;;) {
      const { status } = await app.cache.getOrLoadWithStatus('probe', async () => 'probe');
      if (status === 'HIT') return Date.now() - since;
      await sleep(10);
    }
  }

  /** Readers over 50 keys for `ms`: every result is checked against its "row". */
  async function readLoad(app: CacheApp, ms: number) {
    const rows = new Map(Array.from({ length: 50 }, (_, i) => [i, `row-${i}`]));
    const latencies: number[] = [];
    let failed = 0;
    let wrong = 0;
    const deadline = Date.now() + ms;
    await Promise.all(
      Array.from({ length: 20 }, async () => {
        while (Date.now() < deadline) {
          const id = Math.floor(Math.random() * 50);
          const started = performance.now();
          try {
            const value = await app.cache.getOrLoad(`row:${id}`, async () => {
              await sleep(LOADER_MS);
              return rows.get(id);
            });
            if (value !== rows.get(id)) wrong++;
          } catch {
            failed++;
          }
          latencies.push(performance.now() - started);
          await sleep(2);
        }
      }),
    );
    latencies.sort((a, b) => a - b);
    return {
      calls: latencies.length,
      /** Calls that paid (at least) the command timeout. */
      timedOut: latencies.filter((ms) => ms >= COMMAND_TIMEOUT_MS).length,
      failed,
      wrong,
      p99: latencies[Math.floor(latencies.length * 0.99)],
    };
  }

  it('Redis SIGKILLed under load and restarted: no failed call, every result correct, p99 bounded by timeout + loader', async () => {
    const { server, app } = await setUp();
    const during = readLoad(app, 3000);
    await sleep(500);
    await server.kill();
    await sleep(1500);
    await server.start();
    const restartedAt = Date.now();
    const recovery = timeToFirstHit(app, restartedAt);
    const outcome = await during;
    console.info(
      `SIGKILL + restart: ${JSON.stringify(outcome)}, first cached hit ${await recovery} ms after restart`,
    );
    expect(outcome.failed).toBe(0);
    expect(outcome.wrong).toBe(0);
    expect(outcome.p99).toBeLessThan(COMMAND_TIMEOUT_MS + LOADER_MS + 150);
    await waitUntilConnected(app.cache);
    await app.cache.getOrLoad('after', async () => 1);
    expect((await app.cache.getOrLoadWithStatus('after', async () => 2)).status).toBe('HIT');
  });

  it('Redis frozen (SIGSTOP) for 2 s: calls finish within timeout + loader, the circuit opens, nothing hangs after SIGCONT', async () => {
    const { server, app } = await setUp();
    await readLoad(app, 300); // warm
    const during = readLoad(app, 3000);
    await sleep(300);
    server.freeze();
    await sleep(2000);
    server.thaw();
    const recovery = timeToFirstHit(app, Date.now());
    const outcome = await during;
    console.info(
      `SIGSTOP 2 s: ${JSON.stringify(outcome)}, first cached hit ${await recovery} ms after SIGCONT`,
    );
    expect(outcome.failed).toBe(0);
    expect(outcome.wrong).toBe(0);
    expect(outcome.p99).toBeLessThan(COMMAND_TIMEOUT_MS + LOADER_MS + 150);
    // With the circuit open, calls skip Redis instead of each paying the timeout: without
    // the breaker, 20 readers would pay it about 20 x 2 s / 100 ms = 400 times. With it, the
    // readers in flight when it froze pay it, then one probe per open period (200 ms).
    // (redisErrors counts the skipped calls too: refusals are failures of their own kind.)
    expect(outcome.timedOut).toBeLessThan(100);
    await sleep(300);
    const after = await app.cache.getOrLoadWithStatus('row:1', async () => 'row-1');
    expect(after.value).toBe('row-1');
    expect(['HIT', 'MISS']).toContain(after.status);
  });

  it('an eviction that failed during an outage is applied once Redis is back: no stale read after recovery', async () => {
    const { server, app } = await setUp();
    let row = 'v1';
    expect(await app.cache.getOrLoad('product:1', async () => row)).toBe('v1');
    server.freeze();
    // failing calls open the circuit; from then on nothing is sent to Redis (a command
    // that was sent would still run after SIGCONT, and the test would prove nothing)
    for (let i = 0; i < 5; i++) await app.cache.getOrLoad(`other:${i}`, async () => i);
    row = 'v2';
    expect(await app.cache.del('product:1')).toBe(false); // the write happened; its eviction didn't
    server.thaw();
    await sleep(300); // the circuit half-opens after breakerOpenMs and closes on the probe
    expect(await app.cache.getOrLoad('product:1', async () => row)).toBe('v2');
    expect(await app.cache.getOrLoad('product:1', async () => 'v3')).toBe('v2');
  });

  it('while Redis is down, loads are single-flighted per key and capped in total', async () => {
    const { server, app } = await setUp({ maxConcurrentLoadsWithoutRedis: 4 });
    await server.kill();
    let running = 0;
    let maxRunning = 0;
    let loads = 0;
    const loader = (id: number) => async () => {
      loads++;
      running++;
      maxRunning = Math.max(maxRunning, running);
      await sleep(30);
      running--;
      return id;
    };
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) => app.cache.getOrLoad(`k:${i % 40}`, loader(i % 40))),
    );
    expect(results).toEqual(Array.from({ length: 200 }, (_, i) => i % 40));
    expect(loads).toBe(40);
    expect(maxRunning).toBe(4);
  });
});
