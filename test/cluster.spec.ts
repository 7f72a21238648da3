import { createCluster } from 'redis';
import type { CacheAsideModuleOptions } from 'nest-cache-aside';
import type { ClusterConnection } from '../libs/cache-aside/src/redis/redis-cluster-connection';
import { CACHE_ASIDE_REDIS_CONNECTION } from '../libs/cache-aside/src/redis/redis-connection';
import { deferred, sleep, startCacheApp, type CacheApp } from './support/cache-app';
import { recordTracking, warm } from './support/near-cache';
import {
  OwnRedisCluster,
  topologyUnavailableReason,
  type RedisProcess,
} from './support/own-redis-topology';
import { uniquePrefix } from './support/redis';
import { coldBurstAcrossProcesses } from './support/workers';
import { raceTagInvalidations } from './support/tag-race';
import { percentile, readLoad, recordFills, waitUntil } from './support/topology-load';

jest.setTimeout(60_000);

/** The failover tests' bound on each Redis call (the suite's apps default to 500 ms). */
const COMMAND_TIMEOUT_MS = 100;
const LOADER_MS = 20;

const unavailable = topologyUnavailableReason();
if (unavailable) console.warn(`Skipping the Redis Cluster tests: ${unavailable}`);
const describeWithCluster = unavailable ? describe.skip : describe;

describeWithCluster('on Redis Cluster (3 masters + 3 replicas of our own)', () => {
  const prefix = uniquePrefix('cluster');
  let cluster: OwnRedisCluster;
  let raw: ReturnType<typeof createCluster>;
  const apps: CacheApp[] = [];

  beforeAll(async () => {
    cluster = await OwnRedisCluster.start();
    raw = createCluster({ rootNodes: cluster.rootNodes });
    raw.on('error', () => undefined);
    raw.on('node-error', () => undefined);
    await raw.connect();
  });

  afterAll(async () => {
    await Promise.all(apps.map((a) => a.close()));
    raw?.destroy();
    await cluster?.stop();
  });

  async function startApp(options: CacheAsideModuleOptions = {}): Promise<CacheApp> {
    const app = await startCacheApp({
      redis: { cluster: { rootNodes: cluster.rootNodes } },
      keyPrefix: prefix,
      earlyRefresh: false,
      ...options,
    });
    apps.push(app);
    return app;
  }

  const valueKey = (key: string) => `${prefix}:{${key}}`;

  /** An app with a near cache, once it tracks every master. */
  async function startNearApp(options: CacheAsideModuleOptions = {}): Promise<CacheApp> {
    const app = await startApp({ nearCache: true, ...options });
    await waitUntil('tracking on', () => app.cache.stats().near?.tracking === true, 10_000);
    return app;
  }

  /** `count` logical keys (`<stem>:<n>`) whose entries live on each master, by master port. */
  async function keysPerMaster(stem: string, count: number): Promise<Map<number, string[]>> {
    const perMaster = new Map<number, string[]>();
    const masters = (await cluster.shards()).length;
    for (
      let i = 0;
      [...perMaster.values()].filter((k) => k.length >= count).length < masters;
      i++
    ) {
      const key = `${stem}:${i}`;
      const { port } = await cluster.masterOf(valueKey(key));
      const keys = perMaster.get(port) ?? [];
      if (keys.length < count) keys.push(key);
      perMaster.set(port, keys);
    }
    return perMaster;
  }

  it('miss, hit and evict, on every master; scripts run there (EVALSHA, loaded on demand)', async () => {
    const app = await startApp();
    const perMaster = await keysPerMaster('basic', 1);
    expect(perMaster.size).toBe(3);
    for (const [key] of perMaster.values()) {
      const loader = async () => ({ key, at: new Date(0) });
      expect((await app.cache.getOrLoadWithStatus(key, loader)).status).toBe('MISS');
      const hit = await app.cache.getOrLoadWithStatus(key, loader);
      expect(hit).toEqual({ value: { key, at: new Date(0) }, status: 'HIT', source: 'redis' });
      expect(await raw.pTTL(valueKey(key))).toBeGreaterThan(0);
      expect(await app.cache.del(key)).toBe(true);
      expect(await raw.exists(valueKey(key))).toBe(0);
      expect((await app.cache.getOrLoadWithStatus(key, loader)).status).toBe('MISS');
    }
  });

  it('stampede: two Nest apps (own cluster connections) on a cold key of each master run the loader once', async () => {
    const [a, b] = [await startApp(), await startApp()];
    for (const [key] of (await keysPerMaster('cold', 1)).values()) {
      let loads = 0;
      const loader = async () => {
        loads++;
        await sleep(100);
        return `value of ${key}`;
      };
      const results = await Promise.all(
        Array.from({ length: 200 }, (_, i) => (i % 2 ? a : b).cache.getOrLoad(key, loader)),
      );
      expect(loads).toBe(1);
      expect(new Set(results)).toEqual(new Set([`value of ${key}`]));
    }
  });

  it('stampede across 4 child processes x 250 calls on a cold key: the loader runs once in total', async () => {
    const { loads, reports } = await coldBurstAcrossProcesses(
      { cluster: { rootNodes: cluster.rootNodes } },
      `${prefix}-procs`,
    );
    expect(loads).toBe(1);
    expect(reports.reduce((n, r) => n + r.calls, 0)).toBe(1000);
    expect(reports.flatMap((r) => r.errors)).toEqual([]);
  });

  it('fill notifications, PUBLISHed by the scripts on each master, reach a subscriber on one node', async () => {
    const [holder, waiter] = [await startApp(), await startApp()];
    const heard = new Set<string>();
    waiter.store.onSettled((key) => heard.add(key));
    const keys = [...(await keysPerMaster('notify', 1)).values()].map(([key]) => key);
    for (const key of keys) {
      const loaderStarted = deferred();
      const finish = deferred();
      const load = holder.cache.getOrLoad(key, async () => {
        loaderStarted.resolve();
        await finish.promise;
        return 'filled';
      });
      await loaderStarted.promise;
      const waiting = waiter.cache.getOrLoad(key, async () => 'waiter loaded');
      await sleep(50); // the waiter found the lease held and waits
      const filledAt = Date.now();
      finish.resolve();
      expect(await Promise.all([load, waiting])).toEqual(['filled', 'filled']);
      expect(Date.now() - filledAt).toBeLessThan(500);
    }
    expect(keys.filter((key) => heard.has(key))).toEqual(keys);
  });

  it('patches a hash entry in place, on every master', async () => {
    const app = await startApp();
    for (const [key] of (await keysPerMaster('product', 1)).values()) {
      const product = { id: key, priceCents: 1000, name: 'lamp' };
      await app.cache.getOrLoad(key, async () => product, { storage: 'hash' });
      expect(await app.cache.patch(key, { priceCents: 900 })).toBe('patched');
      expect(await app.cache.getFields<typeof product>(key, ['priceCents', 'name'])).toEqual({
        priceCents: 900,
        name: 'lamp',
      });
      expect(await raw.hGet(valueKey(key), '.name')).toContain('lamp');
    }
  });

  it('invalidates a tag whose entries live on different masters (the tag on yet another slot)', async () => {
    const app = await startApp();
    const keys = [...(await keysPerMaster('tagged', 3)).values()].flat();
    for (const key of keys) {
      await app.cache.getOrLoad(key, async () => key, { tags: ['catalog'] });
    }
    const masters = new Set(
      await Promise.all(keys.map(async (k) => (await cluster.masterOf(valueKey(k))).port)),
    );
    expect(masters.size).toBe(3);
    for (const key of keys) expect(await app.cache.get(key)).toBe(key);

    expect(await app.cache.invalidateTags('catalog')).toBe(true);
    for (const key of keys) expect(await app.cache.get(key)).toBeUndefined();
    const reloaded = await app.cache.getOrLoadWithStatus(keys[0], async () => 'again', {
      tags: ['catalog'],
    });
    expect(reloaded).toEqual({ value: 'again', status: 'MISS' });
  });

  it.each(['tags', 'tagsFromResult'] as const)(
    'a tag invalidation racing loads in a second process (%s): no entry escapes the next invalidation',
    async (tagging) => {
      const stale = await raceTagInvalidations({
        redis: { cluster: { rootNodes: cluster.rootNodes } },
        prefix: `${prefix}-race-${tagging}`,
        tagging,
        // six redis-servers, two processes and their loads share 2 cores here
        startApp,
        remoteReaders: 16,
        commandTimeoutMs: 1000,
        cleanUp: async () => undefined, // the cluster goes at the end of the file
      });
      expect(stale).toBe(0);
    },
  );

  it('the stale-set race: loader reads the row, the writer updates and evicts, the fill is rejected', async () => {
    const app = await startApp();
    for (const [key] of (await keysPerMaster('race', 1)).values()) {
      let row = 'v1';
      const readTheRow = deferred();
      const writerDone = deferred();
      const rejectedBefore = app.cache.stats().rejectedFills;
      const load = app.cache.getOrLoad(key, async () => {
        const read = row;
        readTheRow.resolve();
        await writerDone.promise; // the write and its eviction happen right here
        return read;
      });
      await readTheRow.promise;
      row = 'v2';
      expect(await app.cache.del(key)).toBe(true);
      writerDone.resolve();
      expect(await load).toBe('v1'); // the caller gets what it read...
      expect(await raw.exists(valueKey(key))).toBe(0); // ...but it isn't cached
      // the caller doesn't wait for the fill's reply: its refusal is counted when it arrives
      await waitUntil(
        'the refused fill to be counted',
        () => app.cache.stats().rejectedFills === rejectedBefore + 1,
        2000,
      );
      expect(await app.cache.getOrLoad(key, async () => row)).toBe('v2');
    }
  });

  it('near cache: hits from memory on every master; a del by another instance, a raw DEL and a tag invalidation drop the entries in the reader', async () => {
    const [reader, writer] = [await startNearApp(), await startNearApp()];
    const perMaster = await keysPerMaster('near', 3);
    expect(perMaster.size).toBe(3);
    let version = 1;
    const read = (app: CacheApp, key: string) =>
      app.cache.getOrLoadWithStatus(key, async () => ({ key, version }), { tags: ['near-rows'] });
    const byApp = [...perMaster.values()].map(([key]) => key);
    const byRaw = [...perMaster.values()].map(([, key]) => key);
    const byTag = [...perMaster.values()].map(([, , key]) => key);
    for (const key of [...byApp, ...byRaw, ...byTag]) await warm(() => read(reader, key));
    const hitsBefore = reader.cache.stats().nearHits;
    for (const key of [...byApp, ...byRaw, ...byTag]) {
      expect(await read(reader, key)).toEqual({
        value: { key, version: 1 },
        status: 'HIT',
        source: 'near',
      });
    }
    expect(reader.cache.stats().nearHits - hitsBefore).toBe(9);

    version = 2;
    const dropped = async (key: string, change: () => Promise<unknown>) => {
      const before = reader.cache.stats().nearInvalidations;
      await change();
      await waitUntil(
        `the reader's entry of ${key} dropped`,
        () => reader.cache.stats().nearInvalidations > before,
        2000,
      );
      expect(await read(reader, key)).toEqual({ value: { key, version: 2 }, status: 'MISS' });
    };
    for (const key of byApp) await dropped(key, () => writer.cache.del(key));
    for (const key of byRaw) await dropped(key, () => raw.del(valueKey(key)));

    // the tag's version key lives on one master; the entries on all three
    const entriesBefore = reader.cache.stats().near!.entries;
    expect(await writer.cache.invalidateTags('near-rows')).toBe(true);
    await waitUntil(
      "the reader's tagged entries dropped",
      () => reader.cache.stats().near!.entries === 0,
      2000,
    );
    expect(entriesBefore).toBeGreaterThanOrEqual(3);
    for (const key of byTag) {
      expect(await read(reader, key)).toEqual({ value: { key, version: 2 }, status: 'MISS' });
    }
  });

  it('failover: SIGKILL the master of the keys under read load (and of the pub/sub connection); no failed call, every result correct, caching resumes on the promoted replica', async () => {
    const app = await startApp({ commandTimeoutMs: COMMAND_TIMEOUT_MS });
    const other = await startApp();
    // the master this app's pub/sub connection sits on: killing it moves that too
    const client = app.app.get<ClusterConnection>(CACHE_ASIDE_REDIS_CONNECTION).cluster;
    await waitUntil('the subscription', () => client.pubSubNode !== undefined, 5000);
    const victimPort = Number(client.pubSubNode!.address.split(':')[1]);
    const shard = (await cluster.shards()).find((s) => s.master.port === victimPort)!;
    const victim: RedisProcess = shard.master;
    const [afterKey, ...keys] = (await keysPerMaster('failover', 21)).get(victimPort)!;
    const filledAt = recordFills(app);

    const load = readLoad(app, keys, {
      concurrency: 20,
      loaderMs: LOADER_MS,
      ttlSeconds: 0.5,
    });
    await sleep(1000);
    const killedAt = Date.now();
    await victim.kill();
    const promotedAfterMs = shard.replica!.becomesMaster().then((at) => at - killedAt);
    await waitUntil(
      'a cached write after the kill',
      () => filledAt.some((t) => t > killedAt),
      20_000,
    );
    const gapMs = filledAt.find((t) => t > killedAt)! - killedAt;
    await sleep(1000); // and a second of load on the promoted replica
    const outcome = await load.stop();

    const duringGap = outcome.calls.filter(
      (c) => c.startedAt >= killedAt && c.startedAt <= killedAt + gapMs,
    );
    console.info(
      `Cluster failover (SIGKILL master ${victim.port}, 20 readers over ${keys.length} keys on it, ${LOADER_MS} ms loader, ${COMMAND_TIMEOUT_MS} ms command timeout): ` +
        `replica promoted after ${await promotedAfterMs} ms; ` +
        `gap ${gapMs} ms from kill to the first cached write on its slots; ` +
        `${duringGap.length} calls during the gap, p99 ${percentile(duringGap, 0.99).toFixed(1)} ms; ` +
        `all ${outcome.calls.length} calls: p99 ${percentile(outcome.calls, 0.99).toFixed(1)} ms, ` +
        `max ${percentile(outcome.calls, 1).toFixed(1)} ms; failed ${outcome.failed}, wrong ${outcome.wrong}`,
    );
    expect(outcome.errors).toEqual([]);
    expect(outcome.failed).toBe(0);
    expect(outcome.wrong).toBe(0);
    expect(percentile(duringGap, 0.99)).toBeLessThan(COMMAND_TIMEOUT_MS + LOADER_MS + 150);

    // the replica serves those slots now, and the entries are cached there again
    expect((await cluster.masterOf(valueKey(afterKey))).port).toBe(shard.replica!.port);
    const loader = async () => 'written after the failover';
    expect((await app.cache.getOrLoadWithStatus(afterKey, loader)).status).toBe('MISS');
    expect((await app.cache.getOrLoadWithStatus(afterKey, loader)).status).toBe('HIT');

    // the pub/sub connection moved off the dead node: fills on every shard are heard again
    // (a notice goes out only when a caller waits: each probe is marked as a waiter marks it)
    const heard = new Set<string>();
    app.store.onSettled((key) => heard.add(key));
    const probes = [...(await keysPerMaster('after-failover', 1)).values()].map(([k]) => k);
    await waitUntil(
      'fill notifications from every master',
      () => {
        for (const key of probes) {
          // straight to the key's master: the raw cluster client may still map the dead one
          const marker = `${valueKey(key)}:waiters`;
          void cluster
            .masterOf(marker)
            .then((master) => master.command('SET', marker, '1', 'PX', '10000'))
            .then(() => other.cache.set(key, 'x', 30))
            .catch(() => undefined);
        }
        return probes.every((key) => heard.has(key));
      },
      10_000,
    );
  });

  it('near cache through a failover: SIGKILL a master under reads; tracking goes off (a flush) until the promoted replica is tracked, and no read returns a version older than a write completed before it began', async () => {
    await cluster.waitUntilHealthy(2); // the previous test's shard has no replica left
    const reader = await startNearApp({ commandTimeoutMs: COMMAND_TIMEOUT_MS });
    const writer = await startNearApp({ commandTimeoutMs: COMMAND_TIMEOUT_MS });
    const bystander = await startNearApp();
    const shard = (await cluster.shards()).find((s) => s.replica)!;
    const victim = shard.master;
    const keys = (await keysPerMaster('near-failover', 10)).get(victim.port)!;
    const elsewhere = [...(await keysPerMaster('near-elsewhere', 1)).values()]
      .map(([key]) => key)
      .filter((key) => !keys.includes(key));

    /** The "database": each key's row version; `completed`: versions whose eviction resolved. */
    const rows = new Map([...keys, ...elsewhere].map((key) => [key, 1]));
    const completed = new Map(rows);
    const read = (app: CacheApp, key: string) =>
      app.cache.getOrLoadWithStatus(
        key,
        async () => {
          const version = rows.get(key)!;
          await sleep(LOADER_MS);
          return { key, version };
        },
        { ttlSeconds: 30 },
      );
    const write = async (key: string): Promise<boolean> => {
      const version = rows.get(key)! + 1;
      rows.set(key, version);
      const evicted = await writer.cache.del(key);
      if (evicted) completed.set(key, Math.max(completed.get(key)!, version));
      return evicted;
    };
    for (const key of [...keys, ...elsewhere]) await warm(() => read(reader, key));

    const tracking = recordTracking(reader);
    const flushesBefore = reader.cache.stats().nearFlushes;
    const stale: string[] = [];
    const sources = new Map<string, number>();
    let running = true;
    const readers = [reader, bystander].flatMap((app) =>
      Array.from({ length: 5 }, async () => {
        while (running) {
          const key = keys[Math.floor(Math.random() * keys.length)];
          const floor = completed.get(key)!;
          const { value, source = 'loader' } = await read(app, key);
          sources.set(source, (sources.get(source) ?? 0) + 1);
          if (value.version < floor)
            stale.push(`${key}: v${value.version} < v${floor} (${source})`);
          await sleep(2);
        }
      }),
    );
    await sleep(500);
    const killedAt = Date.now();
    await victim.kill();
    // writes from the kill on: one that resolves true reached the promoted replica (an
    // eviction acknowledged by the old master just before it died may not have)
    const writes = (async () => {
      for (let i = 0; running; i++) {
        await write(keys[i % keys.length]);
        await sleep(50);
      }
    })();
    const promotedAfterMs = (await shard.replica!.becomesMaster()) - killedAt;
    await waitUntil(
      'tracking off and on again',
      () => tracking.seen.includes(false) && reader.cache.stats().near!.tracking,
      20_000,
    );
    const trackedAfterMs = Date.now() - killedAt;
    await sleep(1000); // reads and writes on the promoted replica, near cache in use
    running = false;
    await Promise.all([...readers, writes]);
    tracking.stop();

    console.info(
      `Cluster failover with a near cache (SIGKILL master ${victim.port}): replica promoted after ${promotedAfterMs} ms, ` +
        `reader tracking every master again after ${trackedAfterMs} ms; tracking went ${tracking.seen.join(' -> ')}; ` +
        `reads by source ${JSON.stringify(Object.fromEntries(sources))}; stale ${stale.length}`,
    );
    expect(stale).toEqual([]);
    expect(tracking.seen.slice(0, 3)).toEqual([true, false, true]);
    expect(reader.cache.stats().nearFlushes).toBeGreaterThan(flushesBefore);
    expect(reader.cache.stats().near!.tracking).toBe(true);

    // a last version of every key, then every instance reads it, from memory once settled
    for (const key of [...keys, ...elsewhere]) {
      while (!(await write(key))) await sleep(50);
    }
    for (const app of [reader, writer, bystander]) {
      for (const key of [...keys, ...elsewhere]) {
        await warm(() => read(app, key));
        expect((await read(app, key)).value.version).toBe(rows.get(key));
      }
    }
    // and the promoted replica's writes reach the reader's tracker there
    for (const key of keys.slice(0, 3)) {
      await warm(() => read(reader, key));
      const before = reader.cache.stats().nearInvalidations;
      while (!(await write(key))) await sleep(50); // a 100 ms timeout on a busy box
      await waitUntil(
        `the reader's entry of ${key} dropped`,
        () => reader.cache.stats().nearInvalidations > before,
        2000,
      );
      expect((await read(reader, key)).value.version).toBe(rows.get(key));
    }
  });

  it('near cache through a manual failover (CLUSTER FAILOVER: the old master lives on as a replica): a reader that only answers from memory drops what the new master changes', async () => {
    const shard = (await cluster.shards()).find((s) => s.replica)!;
    const reader = await startNearApp();
    const [key] = (await keysPerMaster('near-manual', 1)).get(shard.master.port)!;
    let version = 1;
    const read = () => reader.cache.getOrLoadWithStatus(key, async () => ({ version }));
    await warm(read);
    await shard.replica!.command('CLUSTER', 'FAILOVER');
    await waitUntil(
      'the replica took over',
      async () => (await cluster.masterOf(valueKey(key))).port === shard.replica!.port,
      10_000,
    );
    // the reader sends no command (memory answers): only its topology refresh can notice
    const flushes = reader.cache.stats().nearFlushes;
    await waitUntil(
      'tracking moved to the new master',
      () => reader.cache.stats().nearFlushes > flushes,
      5000,
    );
    await waitUntil('tracking on again', () => reader.cache.stats().near?.tracking === true, 5000);
    await warm(read);
    version = 2;
    await raw.del(valueKey(key)); // on the new master
    await waitUntil(
      "the reader's entry dropped",
      () => reader.cache.stats().near?.entries === 0,
      2000,
    );
    expect((await read()).value.version).toBe(2);
  });
});
