import type { CacheAsideModuleOptions } from 'nest-cache-aside';
import { deferred, sleep, startCacheApp, type CacheApp } from './support/cache-app';
import { recordTracking, warm } from './support/near-cache';
import { OwnRedisSentinel, topologyUnavailableReason } from './support/own-redis-topology';
import { connectTestRedis, uniquePrefix } from './support/redis';
import { percentile, readLoad, recordFills, waitUntil } from './support/topology-load';
import { coldBurstAcrossProcesses } from './support/workers';

jest.setTimeout(60_000);

/** The failover tests' bound on each Redis call (the suite's apps default to 500 ms). */
const COMMAND_TIMEOUT_MS = 100;
const LOADER_MS = 20;

const unavailable = topologyUnavailableReason();
if (unavailable) console.warn(`Skipping the Redis Sentinel tests: ${unavailable}`);
const describeWithSentinel = unavailable ? describe.skip : describe;

describeWithSentinel('behind Redis Sentinel (1 master + 1 replica + 1 sentinel of our own)', () => {
  const prefix = uniquePrefix('sentinel');
  let topology: OwnRedisSentinel;
  const apps: CacheApp[] = [];

  beforeAll(async () => {
    topology = await OwnRedisSentinel.start();
  });

  afterAll(async () => {
    await Promise.all(apps.map((a) => a.close()));
    await topology?.stop();
  });

  async function startApp(options: CacheAsideModuleOptions = {}): Promise<CacheApp> {
    const app = await startCacheApp({
      redis: {
        sentinel: { name: OwnRedisSentinel.NAME, sentinelRootNodes: topology.sentinelRootNodes },
      },
      keyPrefix: prefix,
      earlyRefresh: false,
      ...options,
    });
    apps.push(app);
    return app;
  }

  const valueKey = (key: string) => `${prefix}:{${key}}`;

  /** An app with a near cache, once it tracks the master. */
  async function startNearApp(options: CacheAsideModuleOptions = {}): Promise<CacheApp> {
    const app = await startApp({ nearCache: true, ...options });
    await waitUntil('tracking on', () => app.cache.stats().near?.tracking === true, 10_000);
    return app;
  }

  /** `version`'s row of a key, as a near-cache test's loader returns it. */
  const readRow = (app: CacheApp, key: string, version: () => number) =>
    app.cache.getOrLoadWithStatus(key, async () => ({ key, version: version() }));

  /** A change by someone else drops the reader's entry: the next read loads the new row. */
  async function expectDropped(
    reader: CacheApp,
    key: string,
    change: () => Promise<unknown>,
    version: () => number,
  ): Promise<void> {
    const before = reader.cache.stats().nearInvalidations;
    await change();
    await waitUntil(
      `the reader's entry of ${key} dropped`,
      () => reader.cache.stats().nearInvalidations > before,
      2000,
    );
    expect(await readRow(reader, key, version)).toEqual({
      value: { key, version: version() },
      status: 'MISS',
    });
  }

  /** A plain connection to whichever server the sentinel names master now. */
  async function onMaster<T>(use: (redis: Awaited<ReturnType<typeof connectTestRedis>>) => T) {
    const redis = await connectTestRedis((await topology.currentMaster()).url);
    try {
      return await use(redis);
    } finally {
      redis.destroy();
    }
  }

  it('miss, hit and evict through the master the sentinel names', async () => {
    const app = await startApp();
    const loader = async () => ({ id: 1, at: new Date(0) });
    expect((await app.cache.getOrLoadWithStatus('basic:1', loader)).status).toBe('MISS');
    expect(await app.cache.getOrLoadWithStatus('basic:1', loader)).toEqual({
      value: { id: 1, at: new Date(0) },
      status: 'HIT',
      source: 'redis',
    });
    expect(await onMaster((r) => r.pTTL(valueKey('basic:1')))).toBeGreaterThan(0);
    expect(await app.cache.del('basic:1')).toBe(true);
    expect(await onMaster((r) => r.exists(valueKey('basic:1')))).toBe(0);
    expect((await app.cache.getOrLoadWithStatus('basic:1', loader)).status).toBe('MISS');
  });

  it('stampede: two Nest apps (own sentinel connections) on a cold key run the loader once', async () => {
    const [a, b] = [await startApp(), await startApp()];
    let loads = 0;
    const loader = async () => {
      loads++;
      await sleep(100);
      return 'cold value';
    };
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) => (i % 2 ? a : b).cache.getOrLoad('cold:1', loader)),
    );
    expect(loads).toBe(1);
    expect(new Set(results)).toEqual(new Set(['cold value']));
  });

  it('stampede across 4 child processes x 250 calls on a cold key: the loader runs once in total', async () => {
    const { loads, reports } = await coldBurstAcrossProcesses(
      {
        sentinel: { name: OwnRedisSentinel.NAME, sentinelRootNodes: topology.sentinelRootNodes },
      },
      `${prefix}-procs`,
    );
    expect(loads).toBe(1);
    expect(reports.reduce((n, r) => n + r.calls, 0)).toBe(1000);
    expect(reports.flatMap((r) => r.errors)).toEqual([]);
  });

  it('patches a hash entry in place', async () => {
    const app = await startApp();
    const product = { id: 7, priceCents: 1000, name: 'lamp' };
    await app.cache.getOrLoad('product:7', async () => product, { storage: 'hash' });
    expect(await app.cache.patch('product:7', { priceCents: 900 })).toBe('patched');
    expect(await app.cache.getFields<typeof product>('product:7', ['priceCents', 'name'])).toEqual({
      priceCents: 900,
      name: 'lamp',
    });
  });

  it('invalidates a tag', async () => {
    const app = await startApp();
    const keys = Array.from({ length: 20 }, (_, i) => `tagged:${i}`);
    for (const key of keys) await app.cache.getOrLoad(key, async () => key, { tags: ['catalog'] });
    await app.cache.getOrLoad('untagged', async () => 'stays');
    for (const key of keys) expect(await app.cache.get(key)).toBe(key);
    expect(await app.cache.invalidateTags('catalog')).toBe(true);
    for (const key of keys) expect(await app.cache.get(key)).toBeUndefined();
    expect(await app.cache.get('untagged')).toBe('stays');
    // the tag's version lives on the master, where the next read finds it
    expect(await onMaster((r) => r.exists(`${prefix}:tag-version:{catalog}`))).toBe(1);
  });

  it('the stale-set race: loader reads the row, the writer updates and evicts, the fill is rejected', async () => {
    const app = await startApp();
    let row = 'v1';
    const readTheRow = deferred();
    const writerDone = deferred();
    const rejectedBefore = app.cache.stats().rejectedFills;
    const load = app.cache.getOrLoad('race:1', async () => {
      const read = row;
      readTheRow.resolve();
      await writerDone.promise; // the write and its eviction happen right here
      return read;
    });
    await readTheRow.promise;
    row = 'v2';
    expect(await app.cache.del('race:1')).toBe(true);
    writerDone.resolve();
    expect(await load).toBe('v1');
    expect(await onMaster((r) => r.exists(valueKey('race:1')))).toBe(0);
    // the caller doesn't wait for the fill's reply: its refusal is counted when it arrives
    await waitUntil(
      'the refused fill to be counted',
      () => app.cache.stats().rejectedFills === rejectedBefore + 1,
      2000,
    );
    expect(await app.cache.getOrLoad('race:1', async () => row)).toBe('v2');
  });

  it('near cache: hits from memory; a del by another instance and a raw DEL drop the entry in the reader', async () => {
    const [reader, writer] = [await startNearApp(), await startNearApp()];
    let version = 1;
    const keys = ['near:1', 'near:2'];
    for (const key of keys) await warm(() => readRow(reader, key, () => version));
    const hitsBefore = reader.cache.stats().nearHits;
    for (const key of keys) {
      expect(await readRow(reader, key, () => version)).toEqual({
        value: { key, version: 1 },
        status: 'HIT',
        source: 'near',
      });
    }
    expect(reader.cache.stats().nearHits - hitsBefore).toBe(2);
    version = 2;
    await expectDropped(
      reader,
      'near:1',
      () => writer.cache.del('near:1'),
      () => version,
    );
    await expectDropped(
      reader,
      'near:2',
      () => onMaster((r) => r.del(valueKey('near:2'))),
      () => version,
    );

    // its tracking connection killed on the master: off (a flush), on again once it reconnected
    const flushesBefore = reader.cache.stats().nearFlushes;
    const tracking = recordTracking(reader);
    await onMaster(killTrackingConnections);
    await waitUntil('tracking on again', () => tracking.seen.length >= 3, 5000);
    tracking.stop();
    expect(tracking.seen).toEqual([true, false, true]);
    expect(reader.cache.stats().nearFlushes).toBeGreaterThan(flushesBefore);
    await warm(() => readRow(reader, 'near:1', () => version));
  });

  it('failover: SIGKILL the master under read load; no failed call, every result correct, caching resumes on the promoted replica', async () => {
    const app = await startApp({ commandTimeoutMs: COMMAND_TIMEOUT_MS });
    const other = await startApp();
    // and a near cache: flushed when the master goes, tracking again on the promoted replica
    const nearReader = await startNearApp();
    let nearVersion = 1;
    await warm(() => readRow(nearReader, 'near-failover', () => nearVersion));
    const tracking = recordTracking(nearReader);
    const flushesBefore = nearReader.cache.stats().nearFlushes;
    const victim = await topology.currentMaster();
    const successor = victim === topology.master ? topology.replica : topology.master;
    const keys = Array.from({ length: 20 }, (_, i) => `failover:${i}`);
    const filledAt = recordFills(app);

    const load = readLoad(app, keys, {
      concurrency: 20,
      loaderMs: LOADER_MS,
      ttlSeconds: 0.5,
    });
    await sleep(1000);
    const killedAt = Date.now();
    await victim.kill();
    const promotedAfterMs = successor.becomesMaster().then((at) => at - killedAt);
    await waitUntil(
      'a cached write after the kill',
      () => filledAt.some((t) => t > killedAt),
      30_000,
    );
    const gapMs = filledAt.find((t) => t > killedAt)! - killedAt;
    await sleep(1000); // and a second of load on the promoted replica
    const outcome = await load.stop();

    const duringGap = outcome.calls.filter(
      (c) => c.startedAt >= killedAt && c.startedAt <= killedAt + gapMs,
    );
    console.info(
      `Sentinel failover (SIGKILL master ${victim.port}, down-after ${OwnRedisSentinel.DOWN_AFTER_MS} ms, 20 readers over ${keys.length} keys, ${LOADER_MS} ms loader, ${COMMAND_TIMEOUT_MS} ms command timeout): ` +
        `replica promoted after ${await promotedAfterMs} ms; ` +
        `gap ${gapMs} ms from kill to the first cached write; ` +
        `${duringGap.length} calls during the gap, p99 ${percentile(duringGap, 0.99).toFixed(1)} ms; ` +
        `all ${outcome.calls.length} calls: p99 ${percentile(outcome.calls, 0.99).toFixed(1)} ms, ` +
        `max ${percentile(outcome.calls, 1).toFixed(1)} ms; failed ${outcome.failed}, wrong ${outcome.wrong}`,
    );
    expect(outcome.errors).toEqual([]);
    expect(outcome.failed).toBe(0);
    expect(outcome.wrong).toBe(0);
    expect(percentile(duringGap, 0.99)).toBeLessThan(COMMAND_TIMEOUT_MS + LOADER_MS + 150);

    expect(await topology.currentMaster()).toBe(successor);
    const loader = async () => 'written after the failover';
    // With a 100 ms deadline, one call can time out on a busy machine (a BYPASS, which writes
    // nothing): caching has resumed when the key's first read through Redis misses and fills.
    let first = await app.cache.getOrLoadWithStatus('after:1', loader);
    for (let i = 0; first.status === 'BYPASS' && i < 20; i++) {
      await sleep(100);
      first = await app.cache.getOrLoadWithStatus('after:1', loader);
    }
    expect(first.status).toBe('MISS');
    expect((await app.cache.getOrLoadWithStatus('after:1', loader)).status).toBe('HIT');

    // the pub/sub connection followed the master: fills of another app are heard again
    // (a notice goes out only when a caller waits: the key is marked as a waiter marks it)
    const heard = new Set<string>();
    app.store.onSettled((key) => heard.add(key));
    await waitUntil(
      'a fill notification from the new master',
      () => {
        void onMaster((r) => r.set(`${valueKey('after-failover')}:waiters`, '1', { PX: 10_000 }))
          .then(() => other.cache.set('after-failover', 'x', 30))
          .catch(() => undefined);
        return heard.has('after-failover');
      },
      10_000,
    );

    await waitUntil(
      'near cache tracking again',
      () => nearReader.cache.stats().near!.tracking,
      20_000,
    );
    tracking.stop();
    console.info(
      `Sentinel failover with a near cache: tracking went ${tracking.seen.join(' -> ')}, on again ${tracking.at[2] - killedAt} ms after the kill`,
    );
    expect(tracking.seen.slice(0, 3)).toEqual([true, false, true]);
    expect(nearReader.cache.stats().nearFlushes).toBeGreaterThan(flushesBefore);
    // the entry read from the old master was flushed: the next read goes to the new one
    const afterSwitch = await readRow(nearReader, 'near-failover', () => nearVersion);
    expect(afterSwitch.value).toEqual({ key: 'near-failover', version: 1 });
    expect(afterSwitch.source).not.toBe('near');
    await warm(() => readRow(nearReader, 'near-failover', () => nearVersion));
    nearVersion = 2;
    // a write on the promoted replica reaches the reader's tracker there
    await expectDropped(
      nearReader,
      'near-failover',
      () => other.cache.del('near-failover'),
      () => nearVersion,
    );
  });
});

/** Kills the near caches' tracking connections on a server (as a network fault would). */
async function killTrackingConnections(
  redis: Awaited<ReturnType<typeof connectTestRedis>>,
): Promise<void> {
  const clients = (await redis.sendCommand<string>(['CLIENT', 'LIST'])).split('\n');
  for (const line of clients.filter((c) => c.includes(' name=nest-cache-aside:tracking '))) {
    await redis.sendCommand(['CLIENT', 'KILL', 'ID', /^id=(\d+)/.exec(line)![1]]);
  }
}
