import autocannon from 'autocannon';
import type { AdminRedis } from '../support/redis-admin';
import { summarize } from '../support/statistics';
import type { HttpSubjectStats } from './http-subjects';
import type { SubjectProcess } from './subject-process';

/**
 * At a fixed rate autocannon lets each connection send its share of a second back to back,
 * then wait for the next second, so one instance with C connections hits the server with
 * bursts of C concurrent requests, and a step's latency follows C more than the rate (no
 * cache at 250 rps: p95 ~0.9 ms with 1 connection, ~5 ms with 4). A rate step therefore
 * runs PHASES instances of one connection each, at rate/PHASES, started 1/PHASES of a
 * second apart: the bursts spread over the second, and the step still reaches saturation.
 */
export const PHASES = 10;

export interface HttpStep {
  label: string;
  /** Total requests per second, spread over PHASES phase-shifted instances. */
  rate?: number;
  connections: number;
  /** Whole seconds: autocannon checks for the end on its 1 s sampling tick. */
  duration?: number;
  amount?: number;
}

/** One subject at one step in one round. */
export interface HttpStepMeasurement {
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
  /** Share of the responses the near cache answered, from the library's counters (null: no near cache). */
  nearHitRatio: number | null;
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
  /** CPU the app's process used (all its threads, user + system) per response, µs. */
  appCpuUsPerRequest: number;
  /**
   * CPU the Redis server used per response, µs: the builds run one at a time, so what it
   * did during the step was this build's (and the bench's two INFO calls).
   */
  redisCpuUsPerRequest: number;
}

/** Microseconds of CPU the server has used so far (INFO cpu: user + system, all threads). */
export async function redisCpuMicros(admin: AdminRedis): Promise<number> {
  const info = await admin.info('cpu');
  const seconds = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1]);
  return (seconds('used_cpu_user') + seconds('used_cpu_sys')) * 1e6;
}

/** Drives one step against one subject, reading the paths from `nextPath`. */
export async function runStep(
  subject: SubjectProcess,
  nextPath: () => string,
  step: HttpStep,
  admin: AdminRedis,
): Promise<HttpStepMeasurement> {
  const before = await subject.stats();
  const redisBefore = await redisCpuMicros(admin);
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
  const redisAfter = await redisCpuMicros(admin);
  const after = await subject.stats();
  const seconds = result.duration;
  const delta = (pick: (s: HttpSubjectStats) => number) => pick(after) - pick(before);
  const tally = (value: string) => delta((s) => s.xCache[value] ?? 0);
  const responses = Object.keys(after.xCache).reduce((sum, key) => sum + tally(key), 0);
  const cached = responses - tally('NONE') > 0;
  // Our build without the X-Cache header: its own counters tell hits and misses instead
  // (one cached read per request on this route).
  const library = !cached && after.library ? libraryTally(before, after) : undefined;
  const nearHits = delta((s) => s.library?.nearHits ?? 0);
  const { p50, p95, p99 } = summarize(latencies);
  return {
    step: step.label,
    targetRps: step.rate ?? null,
    rps: latencies.length / seconds,
    p50Ms: p50,
    p95Ms: p95,
    p99Ms: p99,
    errors: result.errors,
    hitRatio: cached
      ? tally('HIT') / responses
      : library
        ? library.hits / Math.max(1, library.reads)
        : null,
    nearHitRatio:
      nearHits > 0 ? nearHits / Math.max(1, cached ? responses : latencies.length) : null,
    missesPerSec: cached ? tally('MISS') / seconds : library ? library.misses / seconds : null,
    queriesPerSec: delta((s) => s.queries) / seconds,
    loadsPerSec: delta((s) => s.loads) / seconds,
    libraryMissesPerSec: after.library ? delta((s) => s.library?.misses ?? 0) / seconds : undefined,
    bypassed: cached
      ? responses - tally('NONE') - tally('HIT') - tally('MISS')
      : (library?.bypasses ?? 0),
    redisErrors: after.library ? delta((s) => s.library?.redisErrors ?? 0) : undefined,
    appCpuUsPerRequest: delta((s) => s.cpuMicros) / Math.max(1, latencies.length),
    redisCpuUsPerRequest: (redisAfter - redisBefore) / Math.max(1, latencies.length),
  };
}

function libraryTally(before: HttpSubjectStats, after: HttpSubjectStats) {
  const delta = (pick: (l: NonNullable<HttpSubjectStats['library']>) => number) =>
    (after.library ? pick(after.library) : 0) - (before.library ? pick(before.library) : 0);
  const hits = delta((l) => l.hits);
  const misses = delta((l) => l.misses);
  const bypasses = delta((l) => l.bypasses);
  return { hits, misses, bypasses, reads: hits + misses + bypasses };
}

/** This phase's share of the rate (the shares add up to the rate). */
function rateShare(rate: number, phase: number): number {
  return Math.floor(rate / PHASES) + (phase < rate % PHASES ? 1 : 0);
}
