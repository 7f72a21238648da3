import autocannon from 'autocannon';
import { ensureBenchDatabase, BENCH_PRODUCTS } from '../support/bench-database';
import { connectAdmin, deleteByPrefix, REDIS_URL, uniquePrefix } from '../support/redis-admin';
import { fixed, ms, thousands, type ReportTable } from '../support/report-table';
import { summarize } from '../support/statistics';
import { HTTP_SUBJECT_NAMES, type HttpSubjectKind, type HttpSubjectStats } from './http-subjects';
import { SubjectProcess } from './subject-process';
import { zipfIds } from './zipf';

/*
 * Part 4: the catalog's GET /products/:id over HTTP (autocannon) against three builds of
 * the route, each in a process of its own, on SQLite with 100k products and 1M reviews.
 * Ids follow a Zipf law (s = 1): a few products get most of the reads, the long tail misses.
 * Each subject starts on an empty cache, is warmed by the same first requests, then runs a
 * fixed-rate ladder and a saturation step, continuing the same id sequence throughout.
 */
const SUBJECTS: HttpSubjectKind[] = ['none', 'cache-manager', 'ours'];
export const HTTP_RATES = [250, 500, 1000, 1500, 2000];
const STEP_SECONDS = 5;
/**
 * At a fixed rate autocannon lets each connection send its share of a second back to back,
 * then wait for the next second, so one instance with C connections hits the server with
 * bursts of C concurrent requests, and a step's latency follows C more than the rate (no
 * cache at 250 rps: p95 ~0.9 ms with 1 connection, ~5 ms with 4). A rate step therefore
 * runs PHASES instances of one connection each, at rate/PHASES, started 1/PHASES of a
 * second apart: the bursts spread over the second, and the step still reaches saturation.
 */
const PHASES = 10;
const SATURATION_CONNECTIONS = 16;
/** JIT, SQLite pages and connections: the first step ran slower with 2,000. */
const WARMUP_REQUESTS = 5_000;
const ZIPF_EXPONENT = 1;
const REQUEST_LIST = 400_000;
const TTL_SECONDS = 600;
/** A rate counts as sustained when this share of it was served, without errors. */
const SUSTAINED = 0.97;

export interface HttpStepRow {
  subject: string;
  /** 'saturation' or the requested rate. */
  step: string;
  targetRps: number | null;
  rps: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  /** Non-2xx responses, socket errors and timeouts. */
  errors: number;
  /** X-Cache: HIT share of the responses (null: no cache). */
  hitRatio: number | null;
  /** X-Cache: MISS per second (null: no cache). */
  missesPerSec: number | null;
  /** SQL statements per second, from the app's query counter. */
  queriesPerSec: number;
  /** Loader runs per second (the product query), from the app. */
  loadsPerSec: number;
  /** The library's own misses per second (ours only), to check X-Cache against. */
  libraryMissesPerSec?: number;
  /** Responses served neither as HIT nor MISS (X-Cache BYPASS or STALE). */
  bypassed: number;
  /** Redis calls that failed or timed out, from the library's counters (ours only). */
  redisErrors?: number;
}

export interface HttpResult {
  products: number;
  zipfExponent: number;
  /** Theoretical share of requests going to the 1%/10% most popular products. */
  topShares: Record<string, number>;
  stepSeconds: number;
  phases: number;
  saturationConnections: number;
  warmupRequests: number;
  rows: HttpStepRow[];
  /** Highest ladder rate the no-cache build sustained, and each build's p95 there. */
  verdict: { rate: number | null; p95Ms: Record<string, number> };
}

interface Step {
  label: string;
  /** Total requests per second, spread over PHASES phase-shifted instances. */
  rate?: number;
  connections: number;
  duration?: number;
  amount?: number;
}

export async function runHttpBench(log: (line: string) => void): Promise<HttpResult> {
  const dbPath = await ensureBenchDatabase(log);
  const zipf = zipfIds({
    items: BENCH_PRODUCTS,
    exponent: ZIPF_EXPONENT,
    count: REQUEST_LIST,
    seed: 20_251_126,
  });
  const prefix = uniquePrefix('http');
  const admin = await connectAdmin();
  const rows: HttpStepRow[] = [];
  const steps: Step[] = [
    ...HTTP_RATES.map((rate) => ({
      label: `${rate} rps`,
      rate,
      connections: 1,
      duration: STEP_SECONDS,
    })),
    { label: 'saturation', connections: SATURATION_CONNECTIONS, duration: STEP_SECONDS },
  ];
  try {
    for (const kind of SUBJECTS) {
      const name = HTTP_SUBJECT_NAMES[kind];
      const keyPrefix = `${prefix}:${kind}`;
      const subject = await SubjectProcess.start({
        kind,
        dbPath,
        redisUrl: REDIS_URL,
        keyPrefix,
        ttlSeconds: TTL_SECONDS,
      });
      try {
        // The same id sequence for every subject, from its start.
        let cursor = 0;
        const nextPath = () => `/products/${zipf.ids[cursor++ % zipf.ids.length]}`;
        await runStep(subject, nextPath, {
          label: 'warm-up',
          connections: SATURATION_CONNECTIONS,
          amount: WARMUP_REQUESTS,
        });
        for (const step of steps) {
          const row = await runStep(subject, nextPath, step);
          rows.push({ subject: name, ...row });
          log(
            `  http: ${name}, ${step.label}: ${thousands(row.rps)} rps, p95 ${ms(row.p95Ms)} ms` +
              (row.hitRatio === null ? '' : `, hits ${fixed(row.hitRatio * 100, 1)}%`),
          );
        }
        const errors = subject.errorOutput();
        if (errors) log(`  http: ${name} logged errors:\n${errors.slice(-2000)}`);
      } finally {
        await subject.stop();
        await deleteByPrefix(admin, keyPrefix);
      }
    }
  } finally {
    await deleteByPrefix(admin, prefix);
    admin.destroy();
  }
  return {
    products: BENCH_PRODUCTS,
    zipfExponent: ZIPF_EXPONENT,
    topShares: {
      '1%': zipf.topShare(BENCH_PRODUCTS / 100),
      '10%': zipf.topShare(BENCH_PRODUCTS / 10),
    },
    stepSeconds: STEP_SECONDS,
    phases: PHASES,
    saturationConnections: SATURATION_CONNECTIONS,
    warmupRequests: WARMUP_REQUESTS,
    rows,
    verdict: verdict(rows),
  };
}

async function runStep(
  subject: SubjectProcess,
  nextPath: () => string,
  step: Step,
): Promise<Omit<HttpStepRow, 'subject'>> {
  const before = await subject.stats();
  const latencies: number[] = [];
  const instances = step.rate ? PHASES : 1;
  const run = (phase: number) =>
    new Promise<autocannon.Result>((resolve, reject) => {
      const instance = autocannon(
        {
          url: subject.baseUrl,
          connections: step.connections,
          // autocannon validates keys that are present, even when undefined
          ...(step.amount ? { amount: step.amount } : { duration: step.duration }),
          ...(step.rate ? { overallRate: rateShare(step.rate, phase) } : {}),
          timeout: 10,
          requests: [
            { method: 'GET', setupRequest: (request) => ({ ...request, path: nextPath() }) },
          ],
        },
        (error, value) => (error ? reject(error) : resolve(value)),
      );
      instance.on('response', (_client: unknown, _status: number, _bytes: number, ms: number) => {
        latencies.push(ms);
      });
    });
  const results = await Promise.all(
    Array.from({ length: instances }, (_, phase) =>
      new Promise((resolve) => setTimeout(resolve, (phase * 1000) / instances)).then(() =>
        run(phase),
      ),
    ),
  );
  const result = {
    // every instance runs for the step's duration; they overlap all but the phase shifts
    duration: results.reduce((sum, r) => sum + r.duration, 0) / results.length,
    errors: results.reduce((sum, r) => sum + r.errors + r.timeouts + r.non2xx, 0),
  };
  // Requests the load generator dropped at the end may still be running in the app.
  await new Promise((resolve) => setTimeout(resolve, 100));
  const after = await subject.stats();
  const seconds = result.duration;
  const delta = (pick: (s: HttpSubjectStats) => number) => pick(after) - pick(before);
  const tally = (value: string) => delta((s) => s.xCache[value] ?? 0);
  const responses = Object.keys(after.xCache).reduce((sum, key) => sum + tally(key), 0);
  const cached = responses - tally('NONE') > 0;
  const { p50, p95, p99 } = summarize(latencies);
  return {
    step: step.label,
    targetRps: step.rate ?? null,
    rps: latencies.length / seconds,
    p50Ms: p50,
    p95Ms: p95,
    p99Ms: p99,
    errors: result.errors,
    hitRatio: cached ? tally('HIT') / responses : null,
    missesPerSec: cached ? tally('MISS') / seconds : null,
    queriesPerSec: delta((s) => s.queries) / seconds,
    loadsPerSec: delta((s) => s.loads) / seconds,
    libraryMissesPerSec: after.library ? delta((s) => s.library?.misses ?? 0) / seconds : undefined,
    bypassed: cached ? responses - tally('NONE') - tally('HIT') - tally('MISS') : 0,
    redisErrors: after.library ? delta((s) => s.library?.redisErrors ?? 0) : undefined,
  };
}

/** Reads a cached build answered without its cache: the figures above include them. */
function bypassNotes(rows: HttpStepRow[]): string[] {
  const odd = rows.filter((r) => r.bypassed > 0 || (r.redisErrors ?? 0) > 0);
  if (odd.length === 0) return [];
  return [
    'answered without the cache (X-Cache BYPASS/STALE; Redis errors or timeouts): ' +
      odd
        .map(
          (r) =>
            `${r.subject} ${r.step}: ${r.bypassed}` +
            (r.redisErrors ? ` (${r.redisErrors} Redis errors)` : ''),
        )
        .join('; '),
  ];
}

/** This phase's share of the rate (the shares add up to the rate). */
function rateShare(rate: number, phase: number): number {
  return Math.floor(rate / PHASES) + (phase < rate % PHASES ? 1 : 0);
}

function verdict(rows: HttpStepRow[]): HttpResult['verdict'] {
  const sustained = rows.filter(
    (r) =>
      r.subject === HTTP_SUBJECT_NAMES.none &&
      r.targetRps !== null &&
      r.errors === 0 &&
      r.rps >= SUSTAINED * r.targetRps,
  );
  const rate = sustained.length ? Math.max(...sustained.map((r) => r.targetRps!)) : null;
  const p95Ms: Record<string, number> = {};
  for (const row of rows)
    if (row.targetRps === rate && rate !== null) p95Ms[row.subject] = row.p95Ms;
  return { rate, p95Ms };
}

export function httpTables(result: HttpResult): ReportTable[] {
  let lastSubject = '';
  const { rate, p95Ms } = result.verdict;
  return [
    {
      title: `Part 4: GET /products/:id over HTTP, SQLite with ${thousands(result.products)} products`,
      notes: [
        `autocannon in the bench process, each build in a child process; Zipf ids (s = ${result.zipfExponent}: ` +
          `the top 1% of products get ${fixed(result.topShares['1%'] * 100, 0)}% of reads, the top 10% ` +
          `${fixed(result.topShares['10%'] * 100, 0)}%), one sequence continued step after step from an empty cache ` +
          `and ${thousands(result.warmupRequests)} warm-up requests`,
        `${result.stepSeconds} s per step; rate steps: ${result.phases} autocannon instances of 1 connection, each ` +
          `at rate/${result.phases} (overallRate), started 1/${result.phases} s apart (autocannon sends a second's share ` +
          `back to back); saturation: ${result.saturationConnections} connections, no rate; latency: ` +
          `autocannon's per-response time, without its coordinated-omission fill-in`,
        'hit %: X-Cache HIT share; miss/s: X-Cache MISS; db q/s: SQL statements from the catalog query counter; ' +
          'q/miss: statements per miss (1: one query per miss; < 1: concurrent misses of a key shared a load; ' +
          '> 1: reads that bypassed the cache queried too)',
        ...bypassNotes(result.rows),
        rate === null
          ? 'the no-cache build sustained none of the rates'
          : `highest rate the no-cache build sustains (>= ${SUSTAINED * 100}% served, no errors): ${rate} rps; ` +
            `p95 there: ${Object.entries(p95Ms)
              .map(([subject, p95]) => `${subject} ${ms(p95)} ms`)
              .join(', ')}`,
      ],
      columns: [
        'subject',
        'step',
        'rps',
        'p50 ms',
        'p95 ms',
        'p99 ms',
        'err',
        'hit %',
        'miss/s',
        'db q/s',
        'q/miss',
      ],
      rows: result.rows.map((row) => {
        const subject = row.subject === lastSubject ? '' : row.subject;
        lastSubject = row.subject;
        const perMiss =
          row.missesPerSec === null || row.missesPerSec === 0
            ? '-'
            : fixed(row.queriesPerSec / row.missesPerSec, 2);
        return [
          subject,
          row.step,
          thousands(row.rps),
          ms(row.p50Ms),
          ms(row.p95Ms),
          ms(row.p99Ms),
          String(row.errors),
          row.hitRatio === null ? '-' : fixed(row.hitRatio * 100, 1),
          row.missesPerSec === null ? '-' : thousands(row.missesPerSec),
          thousands(row.queriesPerSec),
          perMiss,
        ];
      }),
    },
  ];
}
