/**
 * A second app instance, in its own process, reading versioned rows of a SQLite file
 * through the cache: the other side of the consistency tests. It prints "ready", waits
 * for "go" on stdin, then either races (`readers` concurrent callers over all rows for
 * `durationMs`, then one JSON report line) or watches (reads `row:1` every 10 ms and
 * prints each version it got, until it is killed).
 */
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  CacheAsideModule,
  CacheAsideService,
  type CacheAsideModuleOptions,
  type CacheStats,
} from 'nest-cache-aside';
import { rowReadOptions, type RowTagging } from '../support/row-read-options';
import { SqliteRows } from '../support/sqlite-rows';

export interface RowReaderScenario {
  mode: 'race' | 'watch';
  redis: CacheAsideModuleOptions['redis'];
  prefix: string;
  sqlitePath: string;
  rowCount: number;
  readers?: number;
  durationMs?: number;
  tagging: RowTagging;
  graceSeconds?: number;
  ttlSeconds: number;
  /** The loader waits up to this long after reading its row: the window a write can slip into. */
  loaderJitterMs: number;
  commandTimeoutMs?: number;
  /** With a near cache (module option `nearCache: true`). */
  nearCache?: boolean;
  /**
   * After the race: stay up and sweep every row every few ms, printing a
   * {@link RowSweep} line each time, until killed (the test checks what a read serves
   * after its last write).
   */
  sweepAfterRace?: boolean;
}

/** Every row's version as a read served it, in a sweep that began at `startedAtMs`. */
export interface RowSweep {
  startedAtMs: number;
  versions: number[];
}

export interface RowReaderReport {
  calls: number;
  errors: string[];
  stats: CacheStats;
}

const scenario = JSON.parse(process.argv[2]) as RowReaderScenario;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

@Module({
  imports: [
    CacheAsideModule.forRoot({
      redis: scenario.redis,
      keyPrefix: scenario.prefix,
      graceSeconds: scenario.graceSeconds,
      earlyRefresh: false,
      commandTimeoutMs: scenario.commandTimeoutMs ?? 500, // a busy 2-core box: see cache-worker.ts
      nearCache: scenario.nearCache,
    }),
  ],
})
class ReaderModule {}

async function main() {
  const app = await NestFactory.createApplicationContext(ReaderModule, { logger: false });
  const cache = app.get(CacheAsideService);
  const readRow = SqliteRows.readFrom(scenario.sqlitePath);
  while (!(await cache.set(`ready:${process.pid}`, 1, 1))) await sleep(20);
  await cache.del(`ready:${process.pid}`);
  const options = rowReadOptions(scenario.tagging, scenario.ttlSeconds);
  const read = (id: number) =>
    cache.getOrLoad(
      `row:${id}`,
      async () => {
        const row = readRow(id);
        await sleep(Math.random() * scenario.loaderJitterMs);
        return row;
      },
      options,
    );

  process.stdout.write('ready\n');
  await new Promise<void>((resolve) => process.stdin.once('data', () => resolve()));

  if (scenario.mode === 'watch') {
    for (;;) {
      const row = await read(1).catch(() => undefined);
      if (row) process.stdout.write(`${JSON.stringify({ version: row.version })}\n`);
      await sleep(10);
    }
  }
  const report: RowReaderReport = { calls: 0, errors: [], stats: cache.stats() };
  const deadline = Date.now() + (scenario.durationMs ?? 0);
  await Promise.all(
    Array.from({ length: scenario.readers ?? 1 }, async () => {
      while (Date.now() < deadline) {
        try {
          await read(1 + Math.floor(Math.random() * scenario.rowCount));
        } catch (error) {
          if (report.errors.length < 10) report.errors.push(String(error));
        }
        report.calls++;
      }
    }),
  );
  report.stats = cache.stats();
  process.stdout.write(`${JSON.stringify(report)}\n`);
  for (; scenario.sweepAfterRace; await sleep(5)) {
    const startedAtMs = Date.now();
    const versions: number[] = [];
    for (let id = 1; id <= scenario.rowCount; id++) versions.push((await read(id)).version);
    const sweep: RowSweep = { startedAtMs, versions };
    process.stdout.write(`${JSON.stringify(sweep)}\n`);
  }
  await app.close();
  process.exit(0);
}

main().catch((error) => {
  process.stderr.write(`${error?.stack ?? error}\n`);
  process.exit(1);
});
