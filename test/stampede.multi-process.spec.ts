import { connectTestRedis, deletePrefix, type TestRedis, uniquePrefix } from './support/redis';
import { runWorkers, startWorker } from './support/workers';
import type { WorkerReport, WorkerScenario } from './workers/cache-worker';

jest.setTimeout(60_000);

describe('stampede protection across processes (real Redis, real child processes)', () => {
  let redis: TestRedis;
  const prefixes: string[] = [];

  beforeAll(async () => {
    redis = await connectTestRedis();
  });

  afterAll(async () => {
    for (const prefix of prefixes) {
      await deletePrefix(redis, prefix);
      await redis.del([
        `${prefix}-loads`,
        `${prefix}-active`,
        `${prefix}-overlaps`,
        `${prefix}-loading`,
      ]);
    }
    redis.destroy();
  });

  function scenario(label: string, overrides: Partial<WorkerScenario>): WorkerScenario {
    const prefix = uniquePrefix(label);
    prefixes.push(prefix);
    return {
      prefix,
      key: 'product:1',
      concurrency: 250,
      mode: 'burst',
      loaderDelayMs: 100,
      ttlSeconds: 30,
      ...overrides,
    };
  }

  const loadsOf = async (prefix: string) => Number((await redis.get(`${prefix}-loads`)) ?? 0);
  const sum = (reports: WorkerReport[], pick: (r: WorkerReport) => number) =>
    reports.reduce((total, r) => total + pick(r), 0);

  it('cold key, 4 processes x 250 concurrent calls: the loader runs once in total', async () => {
    const base = scenario('cold4', {});
    const reports = await runWorkers([base, base, base, base]);
    expect(await loadsOf(base.prefix)).toBe(1);
    expect(sum(reports, (r) => r.errors.length)).toBe(0);
    expect(sum(reports, (r) => r.calls)).toBe(1000);
    const values = reports.flatMap((r) => r.values.map((v) => JSON.stringify(v)));
    expect(new Set(values).size).toBe(1);
  });

  it('hot key expiring under load (TTL 1 s, 4 processes x 50 loops, 10 s): one load per refresh, none waited after warm-up', async () => {
    const base = scenario('hot', {
      concurrency: 50,
      mode: 'loop',
      durationMs: 10_000,
      loaderDelayMs: 50,
      ttlSeconds: 1,
    });
    const reports = await runWorkers([base, base, base, base]);
    const loads = await loadsOf(base.prefix);
    const latencies = reports.flatMap((r) => r.latenciesMs).sort((a, b) => a - b);
    console.info(
      `hot key: ${loads} loads, ${latencies.length} sampled calls, p50 ${latencies[latencies.length >> 1].toFixed(2)} ms, ` +
        `p99 ${latencies[Math.floor(latencies.length * 0.99)].toFixed(2)} ms, statuses after warm-up ` +
        JSON.stringify(reports.map((r) => r.statusesAfterWarmUp)) +
        `, library counters ` +
        JSON.stringify(
          reports.map(({ stats }) => ({
            redisErrors: stats?.redisErrors,
            bypasses: stats?.bypasses,
            takeovers: stats?.leaseTakeovers,
            waitTimeouts: stats?.leaseWaitTimeouts,
          })),
        ),
    );
    // TTL 1 s over 10 s is about 10 refresh cycles; early refresh fires somewhat before
    // expiry, so a few more. Without the fleet-wide lease it would be ~4x that.
    // A read whose Redis call timed out is served by a load without the lease (BYPASS), by
    // design: the one-load claim holds while Redis answers within the timeout.
    expect(sum(reports, (r) => r.stats?.bypasses ?? 0)).toBe(0);
    expect(loads).toBeGreaterThanOrEqual(8);
    expect(loads).toBeLessThanOrEqual(25);
    expect(Number((await redis.get(`${base.prefix}-overlaps`)) ?? 0)).toBe(0);
    expect(sum(reports, (r) => r.errors.length)).toBe(0);
    // With early refresh, no call after warm-up waited for the loader.
    expect(sum(reports, (r) => r.statusesAfterWarmUp.MISS)).toBe(0);
    expect(sum(reports, (r) => r.statusesAfterWarmUp.HIT)).toBeGreaterThan(1000);
  });

  it('lease holder killed mid-load: the others get the value within lease TTL + one load', async () => {
    const leaseTtlMs = 1000;
    const holder = startWorker(
      scenario('crash', { concurrency: 1, loaderDelayMs: 60_000, leaseTtlMs }),
    );
    const prefix = prefixes[prefixes.length - 1];
    const holderReport = holder.report.catch((error: Error) => error);
    await holder.ready;
    holder.go();
    // wait until the holder is inside its loader (it holds the lease), then kill it
    for (let i = 0; i < 200 && !(await redis.get(`${prefix}-loading`)); i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(await redis.get(`${prefix}:{product:1}:lease`)).not.toBeNull();
    holder.child.kill('SIGKILL');
    await redis.set(`${prefix}-active`, '0');
    const killedAt = Date.now();
    const survivors = await runWorkers([
      {
        prefix,
        key: 'product:1',
        concurrency: 50,
        mode: 'burst',
        loaderDelayMs: 100,
        ttlSeconds: 30,
        leaseTtlMs,
      },
      {
        prefix,
        key: 'product:1',
        concurrency: 50,
        mode: 'burst',
        loaderDelayMs: 100,
        ttlSeconds: 30,
        leaseTtlMs,
      },
    ]);
    expect(sum(survivors, (r) => r.errors.length)).toBe(0);
    expect(sum(survivors, (r) => r.calls)).toBe(100);
    // one load by the dead holder, exactly one by the survivors
    expect(await loadsOf(prefix)).toBe(2);
    // each survivor call finished within lease TTL + one load (+ slack for a loaded CI box)
    const slowest = Math.max(...survivors.flatMap((r) => r.latenciesMs));
    expect(slowest).toBeLessThan(leaseTtlMs + 100 + 1500);
    expect(Date.now() - killedAt).toBeLessThan(20_000);
    expect(((await holderReport) as Error).message).toContain('SIGKILL');
  });

  it('loader throws: every waiter in every process gets the error, and the next call loads again', async () => {
    const base = scenario('fail', { concurrency: 50, loaderDelayMs: 300, loaderFails: true });
    const reports = await runWorkers([base, base]);
    expect(await loadsOf(base.prefix)).toBe(1);
    const errors = reports.flatMap((r) => r.errors);
    expect(errors).toHaveLength(100);
    // the holder's own callers get its error; the other process gets it by name
    expect(errors.filter((e) => e.startsWith('Error: load 1 failed'))).toHaveLength(50);
    expect(errors.filter((e) => e.startsWith('CacheLoadFailedError:'))).toHaveLength(50);
    expect(await redis.exists(`${base.prefix}:{product:1}:lease`)).toBe(0);
    const retry = await runWorkers([{ ...base, concurrency: 1, loaderFails: false }]);
    expect(retry[0].errors).toEqual([]);
    expect(await loadsOf(base.prefix)).toBe(2);
  });
});
