/*
 * Benchmarks of nest-cache-aside against a raw Redis read, @nestjs/cache-manager and
 * bentocache: the hit path (part 1), stampedes across processes (part 2), a one-field
 * update (part 3), the catalog's GET /products/:id over HTTP on SQLite and PostgreSQL
 * (part 4), Redis memory and key expiry (part 5), what an invalidation costs the writer
 * (part 6), the near cache's cross-process staleness window (part 7) and the two modes of
 * Redis client tracking the near cache could use (part 8).
 *
 *   npm run bench                     every part
 *   npm run bench -- --only hit       or stampede, patch, http, memory, invalidation, staleness,
 *                                     tracking (comma-separated for several); --rounds N for a
 *                                     quick look (every part repeats)
 *
 * Prints a table per part and writes bench/results/latest.json, latest.md and latency.svg.
 * Needs redis-server on the PATH: uses Redis on REDIS_URL or 127.0.0.1:6379 (starting one
 * there if none answers), and seeds bench/.data/ with the catalog's SQLite demo data once;
 * part 4 also seeds a PostgreSQL database of its own on BENCH_DATABASE_URL (default
 * postgres://postgres@127.0.0.1:5432/nest_cache_aside_bench, created if missing) once.
 */
import { cpus, loadavg } from 'node:os';
import {
  hitPathGoals,
  hitPathTables,
  runHitPathBench,
  type HitPathResult,
} from './hit-path/hit-path-bench';
import { runHttpBench, type HttpResult } from './http/http-bench';
import { invalidationTables, runInvalidationBench } from './invalidation/invalidation-bench';
import { httpGoals, httpTables } from './http/http-tables';
import { runTrackingModesBench, trackingModesTables } from './tracking-modes/tracking-modes-bench';
import { runMemoryBench } from './memory/memory-bench';
import { memoryTables } from './memory/memory-tables';
import { patchTables, runPatchBench } from './patch/patch-bench';
import { runStampedeBench, stampedeGoals, stampedeTables } from './stampede/stampede-bench';
import { runStalenessBench, stalenessGoals, stalenessTables } from './staleness/staleness-bench';
import { parseCliOptions } from './support/cli-options';
import { latencyPanels, renderLatencyChart, writeLatencyChart } from './support/latency-chart';
import { goalsTable, type GoalCheck } from './support/goals';
import { connectAdmin, serverVersion } from './support/redis-admin';
import { renderText, type ReportTable } from './support/report-table';
import { writeResults } from './support/results-writer';
import { ensureSharedRedis } from './support/shared-redis';

async function main() {
  const options = parseCliOptions(process.argv.slice(2));
  const startedAt = new Date();
  const loadAtStart = loadavg();
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const stopSharedRedis = await ensureSharedRedis(log);
  try {
    await runParts(options, startedAt, loadAtStart, log);
  } finally {
    await stopSharedRedis();
  }
}

async function runParts(
  options: ReturnType<typeof parseCliOptions>,
  startedAt: Date,
  loadAtStart: number[],
  log: (line: string) => void,
) {
  const admin = await connectAdmin();
  const redis = await serverVersion(admin);
  admin.destroy();

  const tables: ReportTable[] = [];
  const parts: Record<string, unknown> = {};
  const goals: GoalCheck[] = [];
  const print = (newTables: ReportTable[]) => {
    for (const table of newTables) process.stdout.write(`\n${renderText(table)}\n`);
    tables.push(...newTables);
  };
  if (options.parts.includes('hit')) {
    process.stderr.write('Part 1: hit path\n');
    const result = await runHitPathBench(options.rounds);
    parts.hit = result;
    print(hitPathTables(result));
    goals.push(...hitPathGoals(result));
  }
  if (options.parts.includes('stampede')) {
    process.stderr.write('Part 2: stampede\n');
    const result = await runStampedeBench(options.rounds);
    parts.stampede = result;
    print(stampedeTables(result));
    goals.push(...stampedeGoals(result));
  }
  if (options.parts.includes('patch')) {
    process.stderr.write('Part 3: one-field update\n');
    const result = await runPatchBench(options.rounds);
    parts.patch = result;
    print(patchTables(result));
  }
  if (options.parts.includes('http')) {
    process.stderr.write('Part 4: HTTP, GET /products/:id\n');
    const result = await runHttpBench(log, options.rounds);
    parts.http = result;
    print(httpTables(result));
    goals.push(...httpGoals(result));
  }
  if (options.parts.includes('memory')) {
    process.stderr.write('Part 5: Redis memory and expiry\n');
    const result = await runMemoryBench(log, options.rounds);
    parts.memory = result;
    print(memoryTables(result));
  }
  if (options.parts.includes('invalidation')) {
    process.stderr.write('Part 6: what an invalidation costs the writer\n');
    const result = await runInvalidationBench(options.rounds);
    parts.invalidation = result;
    print(invalidationTables(result));
  }
  if (options.parts.includes('staleness')) {
    process.stderr.write('Part 7: cross-process staleness window of the near cache\n');
    const result = await runStalenessBench(options.rounds);
    parts.staleness = result;
    print(stalenessTables(result));
    goals.push(...stalenessGoals(result));
  }
  if (options.parts.includes('tracking')) {
    process.stderr.write('Part 8: client tracking modes (why the near cache broadcasts)\n');
    const result = await runTrackingModesBench();
    parts.tracking = result;
    print(trackingModesTables(result));
  }
  if (goals.length > 0) {
    parts.goals = goals;
    print([goalsTable(goals)]);
  }
  const durationSeconds = Math.round((Date.now() - startedAt.getTime()) / 1000);
  const command = [
    'npm run bench',
    ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2)] : []),
  ].join(' ');
  writeResults(
    {
      startedAt: startedAt.toISOString(),
      durationSeconds,
      command,
      node: process.versions.node,
      redis,
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
      loadAverage: { atStart: loadAtStart, atEnd: loadavg() },
    },
    parts,
    tables,
  );
  const panels = latencyPanels(
    parts.hit as HitPathResult | undefined,
    parts.http as HttpResult | undefined,
  );
  if (panels.length > 0) {
    writeLatencyChart(
      renderLatencyChart(
        'Latency per read: p50 / p95 / p99 (ms, lower is better)',
        `${command} on ${startedAt.toISOString().slice(0, 10)}: Node ${process.versions.node}, ` +
          `Redis ${redis}, ${cpus().length} × ${cpus()[0]?.model.trim() ?? 'unknown'}`,
        panels,
      ),
    );
  }
  const wrote = panels.length > 0 ? 'latest.{json,md}, latency.svg' : 'latest.{json,md}';
  process.stderr.write(`done in ${durationSeconds} s; wrote bench/results/${wrote}\n`);
}

main().catch((error) => {
  process.stderr.write(`${error?.stack ?? error}\n`);
  process.exit(1);
});
