import { Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { createClient } from 'redis';
import { DataSource } from 'typeorm';
import { CacheAsideModule, CacheAsideService, Cacheable } from '@app/cache-aside';
import { buildDataSourceOptions } from '../../apps/catalog/src/database/data-source-options.factory';
import type { ProductView } from '../../apps/catalog/src/products/dto/product-view.dto';
import { Product } from '../../apps/catalog/src/products/product.entity';
import { Review } from '../../apps/catalog/src/products/review.entity';
import {
  toProductSummary,
  toRatingSummary,
} from '../../apps/catalog/src/products/product-response.mapper';
import { OwnRedis } from '../../test/support/own-redis';
import { ensureBenchDatabase } from '../support/bench-database';
import { fixed, thousands, type ReportTable } from '../support/report-table';

/*
 * Part 5: what the cache costs Redis, on a redis-server of the bench's own (so DBSIZE and
 * used_memory see nothing else). Products are read through @Cacheable with a short TTL:
 * a working set of K over and over, and N other products once. Every key must carry a
 * TTL, so the N one-off reads leave Redis again after the TTL while the working set stays,
 * and everything leaves once reads stop.
 */
const WORKING_SET = 1_000;
const ONE_OFF = 20_000;
/** Short, yet longer than reading the N others takes on a busy 2-core machine (1 to 6 s). */
const TTL_SECONDS = 10;
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
const WORKING_SET_PERIOD_MS = 250;

export interface MemoryStage {
  stage: string;
  /** Seconds since the first read. */
  atSeconds: number;
  /** DBSIZE before the scan: includes expired keys Redis has not reclaimed yet. */
  held: number;
  /** Live keys (SCAN). */
  keys: number;
  /** Keys whose TTL is -1 (no expiry): must be 0. */
  keysWithoutTtl: number;
  usedMemoryBytes: number;
  /** used_memory_dataset: used_memory less the server's own overhead. */
  datasetBytes: number;
}

export interface MemoryResult {
  workingSet: number;
  oneOff: number;
  ttlSeconds: number;
  /** Average size of the cached view as JSON (what a string entry would hold). */
  viewJsonBytes: number;
  /** Reads of the working set made while one-off entries expired. */
  workingSetReads: number;
  stages: MemoryStage[];
  /** Library counters over the whole part. */
  loads: number;
  hits: number;
  /** Reads that bypassed Redis plus failed Redis calls: must be 0. */
  faults: number;
}

/** Product views of ids 1..count, in one grouped query (the bench's, not the catalog's). */
async function loadViews(dbPath: string, count: number): Promise<Map<number, ProductView>> {
  const dataSource = new DataSource(buildDataSourceOptions({ type: 'sqlite', path: dbPath }));
  await dataSource.initialize();
  try {
    const rows: (Product & { rating_count: number; rating_average: number | null })[] =
      await dataSource
        .getRepository(Product)
        .createQueryBuilder('product')
        .leftJoin(Review, 'review', 'review.productId = product.id')
        .select('product')
        .addSelect('COUNT(review.id)', 'rating_count')
        .addSelect('AVG(review.rating)', 'rating_average')
        .where('product.id <= :count', { count })
        .groupBy('product.id')
        .getRawAndEntities()
        .then(({ entities, raw }) =>
          entities.map((entity, i) => ({
            ...entity,
            rating_count: raw[i].rating_count,
            rating_average: raw[i].rating_average,
          })),
        );
    return new Map(
      rows.map((row) => [
        row.id,
        {
          ...toProductSummary(row),
          rating: toRatingSummary(row.rating_count, row.rating_average),
        },
      ]),
    );
  } finally {
    await dataSource.destroy();
  }
}

export async function runMemoryBench(log: (line: string) => void): Promise<MemoryResult> {
  const dbPath = await ensureBenchDatabase(log);
  const views = await loadViews(dbPath, WORKING_SET + ONE_OFF);
  if (views.size !== WORKING_SET + ONE_OFF) throw new Error(`loaded ${views.size} product views`);

  @Injectable()
  class MemoryProducts {
    // The loader answers from memory: this part measures Redis, not the database.
    @Cacheable({ key: 'product:{0}', storage: 'hash', ttlSeconds: TTL_SECONDS })
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
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const products = app.get(MemoryProducts);
    const statsBefore = cache.stats();

    const started = performance.now();
    const stages: MemoryStage[] = [];
    const snapshot = async (stage: string) => {
      const row = {
        stage,
        atSeconds: (performance.now() - started) / 1000,
        ...(await keyspace(admin)),
      };
      stages.push(row);
      log(
        `  memory: ${stage}: ${thousands(row.keys)} keys, ${fixed(row.usedMemoryBytes / 2 ** 20, 2)} MiB`,
      );
      return row;
    };
    const readAll = (ids: number[]) =>
      inParallel(ids, CONCURRENCY, (id) => products.findViewOrNull(id));
    const workingSet = Array.from({ length: WORKING_SET }, (_, i) => i + 1);
    const oneOff = Array.from({ length: ONE_OFF }, (_, i) => WORKING_SET + i + 1);

    await snapshot('empty');
    await readAll(workingSet);
    await snapshot(`working set read (K = ${thousands(WORKING_SET)})`);

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
        workingSetReads += WORKING_SET;
        const rest = WORKING_SET_PERIOD_MS - (performance.now() - round);
        if (rest > 0) await new Promise((resolve) => setTimeout(resolve, rest));
      }
    })();

    const oneOffStarted = performance.now();
    await readAll(oneOff);
    const oneOffSeconds = (performance.now() - oneOffStarted) / 1000;
    await snapshot(`+ N = ${thousands(ONE_OFF)} others read once (${fixed(oneOffSeconds, 1)} s)`);

    // Past the TTL of the last one-off entry, only the working set should be left.
    await sleep(TTL_SECONDS * 1000 + TTL_MARGIN_MS);
    await snapshot(`${TTL_SECONDS} s TTL + 1 s later, working set still read`);

    stopWorkingSet();
    await workingSetLoop;
    await sleep(TTL_SECONDS * 1000 + TTL_MARGIN_MS);
    await snapshot(`${TTL_SECONDS} s TTL + 1 s after reads stop`);

    const statsAfter = cache.stats();
    const faults =
      statsAfter.bypasses +
      statsAfter.redisErrors -
      (statsBefore.bypasses + statsBefore.redisErrors);
    if (faults > 0)
      log(
        `  memory: WARNING: ${faults} bypassed reads or Redis errors: some entries were never written`,
      );
    const sample = [...views.values()].slice(0, 1000);
    return {
      workingSet: WORKING_SET,
      oneOff: ONE_OFF,
      ttlSeconds: TTL_SECONDS,
      viewJsonBytes:
        sample.reduce((sum, view) => sum + Buffer.byteLength(JSON.stringify(view)), 0) /
        sample.length,
      workingSetReads,
      stages,
      loads: statsAfter.loads - statsBefore.loads,
      hits: statsAfter.hits - statsBefore.hits,
      faults,
    };
  } finally {
    stopWorkingSet();
    await workingSetLoop.catch(() => undefined);
    await app?.close();
    admin.destroy();
    await server.kill();
  }
}

/**
 * What Redis holds (DBSIZE: expired keys its expiry has not reclaimed yet count too), then
 * the live keys and those without a TTL by SCAN + TTL (the server holds only this part's
 * keys; SCAN skips and reclaims expired ones), then used_memory after that.
 */
async function keyspace(admin: ReturnType<typeof createClient>) {
  const held = await admin.dbSize();
  let keys = 0;
  let keysWithoutTtl = 0;
  for await (const batch of admin.scanIterator({ COUNT: 1000 })) {
    if (batch.length === 0) continue;
    const multi = admin.multi();
    for (const key of batch) multi.ttl(key);
    const ttls = (await multi.exec()) as unknown as number[];
    keys += ttls.filter((ttl) => ttl !== -2).length;
    keysWithoutTtl += ttls.filter((ttl) => ttl === -1).length;
  }
  const info = await admin.info('memory');
  return {
    held,
    keys,
    keysWithoutTtl,
    usedMemoryBytes: Number(/^used_memory:(\d+)/m.exec(info)?.[1] ?? NaN),
    datasetBytes: Number(/^used_memory_dataset:(\d+)/m.exec(info)?.[1] ?? NaN),
  };
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

export function memoryTables(result: MemoryResult): ReportTable[] {
  const empty = result.stages[0];
  return [
    {
      title: `Part 5: Redis memory and keys, @Cacheable with a ${result.ttlSeconds} s TTL`,
      notes: [
        `a redis-server of the bench's own; hash entries of the catalog's product view ` +
          `(~${thousands(result.viewJsonBytes)} bytes as JSON), loaded from SQLite beforehand`,
        `the working set (K = ${thousands(result.workingSet)}) is read in full every ` +
          `${WORKING_SET_PERIOD_MS} ms from the second stage until reads stop ` +
          `(${thousands(result.workingSetReads)} reads); ${thousands(result.loads)} loader runs, ` +
          `${thousands(result.hits)} hits over the part, ${result.faults} bypasses or Redis errors`,
        "held: DBSIZE, expired keys Redis's expiry has not reclaimed yet included; live keys: " +
          'SCAN (which reclaims the expired keys it meets; used_memory is read after it)',
        'no TTL: keys whose TTL is -1 (must be 0); dataset: used_memory_dataset (used_memory less ' +
          "the server's overhead); bytes/key: used_memory above the empty server, per key",
      ],
      columns: [
        'stage',
        'at s',
        'held',
        'live keys',
        'no TTL',
        'used_memory MiB',
        'dataset MiB',
        'bytes/key',
      ],
      rows: result.stages.map((stage) => [
        stage.stage,
        fixed(stage.atSeconds, 1),
        thousands(stage.held),
        thousands(stage.keys),
        String(stage.keysWithoutTtl),
        fixed(stage.usedMemoryBytes / 2 ** 20, 2),
        fixed(stage.datasetBytes / 2 ** 20, 2),
        stage.keys === 0
          ? '-'
          : thousands((stage.usedMemoryBytes - empty.usedMemoryBytes) / stage.keys),
      ]),
    },
  ];
}
