import { Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { createClient } from 'redis';
import { CacheAsideModule, CacheAsideService, Cacheable } from 'nest-cache-aside';
import type { ProductView } from '../../apps/catalog/src/products/dto/product-view.dto';
import { OwnRedis } from '../../test/support/own-redis';
import { fixed, thousands } from '../support/report-table';
import { keyspace, type Keyspace } from './keyspace';

/**
 * The library's default (50 ms) treats a Redis call that a busy machine's event loop
 * delays as a failure; a few in a row open the breaker and reads bypass Redis, which
 * would leave entries unwritten and the key counts meaningless.
 */
const COMMAND_TIMEOUT_MS = 1_000;
/** Waited past the TTL of the last entry written, for clocks and rounding. */
const TTL_MARGIN_MS = 1_000;
const CONCURRENCY = 32;
/** The working set is read in full every this many ms while stage 3 waits. */
export const WORKING_SET_PERIOD_MS = 250;

export interface MemoryRoundSettings {
  workingSet: number;
  oneOff: number;
  ttlSeconds: number;
}

export interface MemoryStage extends Keyspace {
  /** The same label in every round. */
  stage: string;
  /** Live keys the stage must find if every key carries its TTL and nothing else is there. */
  expectedKeys: number;
  /** Seconds since the first read. */
  atSeconds: number;
}

export interface MemoryRound {
  stages: MemoryStage[];
  /** How long reading the N one-off products took. */
  oneOffSeconds: number;
  /** Reads of the working set made while one-off entries expired. */
  workingSetReads: number;
  /** Library counters over the round. */
  loads: number;
  hits: number;
  /** Reads that bypassed Redis plus failed Redis calls: must be 0. */
  faults: number;
}

/**
 * One pass on a redis-server of its own, started for the round, so that used_memory starts
 * from the same empty server each time and DBSIZE sees nothing but this round's keys.
 */
export async function runMemoryRound(
  views: Map<number, ProductView>,
  settings: MemoryRoundSettings,
  log: (line: string) => void,
): Promise<MemoryRound> {
  const { workingSet: K, oneOff: N, ttlSeconds } = settings;

  @Injectable()
  class MemoryProducts {
    // The loader answers from memory: this part measures Redis, not the database.
    @Cacheable({ key: 'product:{0}', storage: 'hash', ttlSeconds })
    async findViewOrNull(id: number): Promise<ProductView | null> {
      return views.get(id) ?? null;
    }
  }

  const server = await OwnRedis.start();
  @Module({
    imports: [
      CacheAsideModule.forRoot({
        redis: server.url,
        keyPrefix: 'mem',
        commandTimeoutMs: COMMAND_TIMEOUT_MS,
      }),
    ],
    providers: [MemoryProducts],
  })
  class MemoryBenchModule {}

  const admin = createClient({ url: server.url });
  admin.on('error', () => undefined);
  let app: Awaited<ReturnType<typeof NestFactory.createApplicationContext>> | undefined;
  let stopWorkingSet = () => undefined as void;
  let workingSetLoop: Promise<void> = Promise.resolve();
  try {
    await admin.connect();
    app = await NestFactory.createApplicationContext(MemoryBenchModule, { logger: false });
    const cache = app.get(CacheAsideService);
    for (let i = 0; !(await cache.isAvailable()); i++) {
      if (i > 250) throw new Error('CacheAsideModule did not connect to the bench Redis');
      await sleep(20);
    }
    const products = app.get(MemoryProducts);
    const statsBefore = cache.stats();

    const started = performance.now();
    const stages: MemoryStage[] = [];
    const snapshot = async (stage: string, expectedKeys: number) => {
      const row = {
        stage,
        expectedKeys,
        atSeconds: (performance.now() - started) / 1000,
        ...(await keyspace(admin)),
      };
      stages.push(row);
      log(
        `  memory: ${stage}: ${thousands(row.keys)} keys, ${fixed(row.usedMemoryBytes / 2 ** 20, 2)} MiB`,
      );
    };
    const readAll = (ids: number[]) =>
      inParallel(ids, CONCURRENCY, (id) => products.findViewOrNull(id));
    const workingSet = Array.from({ length: K }, (_, i) => i + 1);
    const oneOff = Array.from({ length: N }, (_, i) => K + i + 1);

    await snapshot('empty', 0);
    await readAll(workingSet);
    await snapshot(`working set read (K = ${thousands(K)})`, K);

    // From here on the working set is read again and again, as a live app would.
    let workingSetReads = 0;
    let reading = true;
    stopWorkingSet = () => {
      reading = false;
    };
    workingSetLoop = (async () => {
      while (reading) {
        const round = performance.now();
        await readAll(workingSet);
        workingSetReads += K;
        const rest = WORKING_SET_PERIOD_MS - (performance.now() - round);
        if (rest > 0) await sleep(rest);
      }
    })();

    const oneOffStarted = performance.now();
    await readAll(oneOff);
    const oneOffSeconds = (performance.now() - oneOffStarted) / 1000;
    await snapshot(`+ N = ${thousands(N)} others read once`, K + N);

    // Past the TTL of the last one-off entry, only the working set should be left.
    await sleep(ttlSeconds * 1000 + TTL_MARGIN_MS);
    await snapshot(`${ttlSeconds} s TTL + 1 s later, working set still read`, K);

    stopWorkingSet();
    await workingSetLoop;
    await sleep(ttlSeconds * 1000 + TTL_MARGIN_MS);
    await snapshot(`${ttlSeconds} s TTL + 1 s after reads stop`, 0);

    const statsAfter = cache.stats();
    return {
      stages,
      oneOffSeconds,
      workingSetReads,
      loads: statsAfter.loads - statsBefore.loads,
      hits: statsAfter.hits - statsBefore.hits,
      faults:
        statsAfter.bypasses +
        statsAfter.redisErrors -
        (statsBefore.bypasses + statsBefore.redisErrors),
    };
  } finally {
    stopWorkingSet();
    await workingSetLoop.catch(() => undefined);
    await app?.close();
    admin.destroy();
    await server.kill();
  }
}

function sleep(ms: number) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function inParallel<T>(items: T[], workers: number, work: (item: T) => Promise<unknown>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (next < items.length) await work(items[next++]);
    }),
  );
}
