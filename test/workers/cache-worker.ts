/**
 * A separate process with its own Nest app and Redis connections, driven by the
 * stampede tests: it prints "ready", waits for "go" on stdin, runs the scenario,
 * prints one JSON line of results and exits. Loads are counted in Redis, so the
 * count is fleet-wide.
 */
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { createClient } from 'redis';
import {
  CacheAsideModule,
  CacheAsideService,
  type CacheAsideModuleOptions,
  type CacheStats,
  type CacheStatus,
} from 'nest-cache-aside';

export interface WorkerScenario {
  prefix: string;
  key: string;
  /** Concurrent callers in this process. */
  concurrency: number;
  /** Each caller reads once ('burst') or keeps reading until durationMs passed ('loop'). */
  mode: 'burst' | 'loop';
  durationMs?: number;
  loaderDelayMs: number;
  /** The loader throws after its delay. */
  loaderFails?: boolean;
  /** The cache's hard and soft loader timeouts (module options). */
  hardTimeoutMs?: number;
  softTimeoutMs?: number;
  ttlSeconds: number;
  leaseTtlMs?: number;
  earlyRefresh?: boolean;
  graceSeconds?: number;
  /**
   * As in the in-process tests, 500 ms rather than the 50 ms default: four worker processes
   * and Redis share two cores here, and a read that times out is served by its own load
   * without the lease (BYPASS), by design, which the load counts would then include.
   */
  commandTimeoutMs?: number;
  /** The cache's Redis (a URL, or `{ cluster }` / `{ sentinel }` options); loads are still counted on REDIS_URL. */
  redis?: CacheAsideModuleOptions['redis'];
}

export interface WorkerReport {
  pid: number;
  calls: number;
  statuses: Record<CacheStatus, number>;
  /** Statuses of calls that started after the first second (warm-up over). */
  statusesAfterWarmUp: Record<CacheStatus, number>;
  errors: string[];
  values: unknown[];
  latenciesMs: number[];
  /** The library's counters at the end (Redis errors, bypasses, takeovers...). */
  stats?: CacheStats;
}

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const scenario = JSON.parse(process.argv[2]) as WorkerScenario;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

@Module({
  imports: [
    CacheAsideModule.forRoot({
      redis: scenario.redis ?? REDIS_URL,
      keyPrefix: scenario.prefix,
      leaseTtlMs: scenario.leaseTtlMs,
      earlyRefresh: scenario.earlyRefresh,
      graceSeconds: scenario.graceSeconds,
      hardTimeoutMs: scenario.hardTimeoutMs,
      softTimeoutMs: scenario.softTimeoutMs,
      commandTimeoutMs: scenario.commandTimeoutMs ?? 500,
    }),
  ],
})
class WorkerModule {}

async function main() {
  const app = await NestFactory.createApplicationContext(WorkerModule, { logger: false });
  const cache = app.get(CacheAsideService);
  const counter = createClient({ url: REDIS_URL });
  await counter.connect();
  while (!(await cache.set(`ready:${process.pid}`, 1, 1))) await sleep(20);
  await cache.del(`ready:${process.pid}`);

  const loader = async () => {
    const n = await counter.incr(`${scenario.prefix}-loads`);
    const active = await counter.incr(`${scenario.prefix}-active`);
    if (active > 1) await counter.incr(`${scenario.prefix}-overlaps`);
    await counter.set(`${scenario.prefix}-loading`, String(process.pid));
    await sleep(scenario.loaderDelayMs);
    await counter.decr(`${scenario.prefix}-active`);
    if (scenario.loaderFails) throw new Error(`load ${n} failed in ${process.pid}`);
    return { n, by: process.pid, at: new Date() };
  };

  process.stdout.write('ready\n');
  await new Promise<void>((resolve) => process.stdin.once('data', () => resolve()));
  process.stdin.destroy();

  const report: WorkerReport = {
    pid: process.pid,
    calls: 0,
    statuses: { HIT: 0, MISS: 0, STALE: 0, BYPASS: 0 },
    statusesAfterWarmUp: { HIT: 0, MISS: 0, STALE: 0, BYPASS: 0 },
    errors: [],
    values: [],
    latenciesMs: [],
  };
  const started = Date.now();
  const once = async () => {
    const callStarted = performance.now();
    const warm = Date.now() - started > 1000;
    try {
      const result = await cache.getOrLoadWithStatus(scenario.key, loader, {
        ttlSeconds: scenario.ttlSeconds,
      });
      report.statuses[result.status]++;
      if (warm) report.statusesAfterWarmUp[result.status]++;
      if (scenario.mode === 'burst') report.values.push(result.value);
    } catch (error) {
      report.errors.push(`${(error as Error).constructor.name}: ${(error as Error).message}`);
    }
    report.calls++;
    // loops make hundreds of thousands of calls: keep a sample, enough for percentiles
    if (scenario.mode === 'burst' || report.calls % 10 === 0) {
      report.latenciesMs.push(performance.now() - callStarted);
    }
  };
  await Promise.all(
    Array.from({ length: scenario.concurrency }, async () => {
      if (scenario.mode === 'burst') return once();
      while (Date.now() - started < (scenario.durationMs ?? 0)) {
        await once();
        await sleep(1 + Math.random() * 4);
      }
    }),
  );
  report.stats = cache.stats();
  process.stdout.write(`${JSON.stringify(report)}\n`);
  counter.destroy();
  await app.close();
}

main().catch((error) => {
  process.stderr.write(`${error?.stack ?? error}\n`);
  process.exit(1);
});
