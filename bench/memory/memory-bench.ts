import { ensureBenchDatabase } from '../support/bench-database';
import { median } from '../support/statistics';
import { roundCheckFailures } from './memory-checks';
import { medianStages, type MemoryStageRow } from './memory-medians';
import { runMemoryRound, WORKING_SET_PERIOD_MS, type MemoryRound } from './memory-round';
import { loadViews } from './product-views';

/*
 * Part 5: what the cache costs Redis, on a redis-server of the bench's own (so DBSIZE and
 * used_memory see nothing else). Products are read through @Cacheable with a short TTL:
 * a working set of K over and over, and N other products once. Every key must carry a
 * TTL, so the N one-off reads leave Redis again after the TTL while the working set stays,
 * and everything leaves once reads stop. Each round does all of it on a fresh server.
 */
const WORKING_SET = 1_000;
const ONE_OFF = 20_000;
/** Short, yet longer than reading the N others takes on a busy 2-core machine (1 to 6 s). */
const TTL_SECONDS = 10;
/** A round waits out the TTL twice (~25 s), so three rounds keep the part near 1.5 minutes. */
const DEFAULT_ROUNDS = 3;

export interface MemoryResult {
  rounds: number;
  workingSet: number;
  oneOff: number;
  ttlSeconds: number;
  workingSetPeriodMs: number;
  /** Average size of the cached view as JSON (what a string entry would hold). */
  viewJsonBytes: number;
  /** Reading the N one-off products, median and range over the rounds. */
  oneOffSeconds: number;
  oneOffSecondsMin: number;
  oneOffSecondsMax: number;
  /** Per round (median): reads of the working set made while one-off entries expired. */
  workingSetReads: number;
  /** Per stage, medians over the rounds. */
  stages: MemoryStageRow[];
  /** Library counters per round (median). */
  loads: number;
  hits: number;
  /** Reads that bypassed Redis plus failed Redis calls, over all rounds: must be 0. */
  faults: number;
  /** Every round's failed checks (see memory-checks.ts): must be empty. */
  checkFailures: string[];
}

export async function runMemoryBench(
  log: (line: string) => void,
  rounds = DEFAULT_ROUNDS,
): Promise<MemoryResult> {
  const dbPath = await ensureBenchDatabase(log);
  const views = await loadViews(dbPath, WORKING_SET + ONE_OFF);
  if (views.size !== WORKING_SET + ONE_OFF) throw new Error(`loaded ${views.size} product views`);

  const results: MemoryRound[] = [];
  const checkFailures: string[] = [];
  for (let round = 1; round <= rounds; round++) {
    const result = await runMemoryRound(
      views,
      { workingSet: WORKING_SET, oneOff: ONE_OFF, ttlSeconds: TTL_SECONDS },
      log,
    );
    results.push(result);
    const failures = roundCheckFailures(round, result);
    for (const failure of failures) log(`  memory: CHECK FAILED: ${failure}`);
    checkFailures.push(...failures);
    log(`  memory: round ${round}/${rounds}`);
  }

  const sample = [...views.values()].slice(0, 1000);
  const oneOffSeconds = results.map((result) => result.oneOffSeconds);
  return {
    rounds,
    workingSet: WORKING_SET,
    oneOff: ONE_OFF,
    ttlSeconds: TTL_SECONDS,
    workingSetPeriodMs: WORKING_SET_PERIOD_MS,
    viewJsonBytes:
      sample.reduce((sum, view) => sum + Buffer.byteLength(JSON.stringify(view)), 0) /
      sample.length,
    oneOffSeconds: median(oneOffSeconds),
    oneOffSecondsMin: Math.min(...oneOffSeconds),
    oneOffSecondsMax: Math.max(...oneOffSeconds),
    workingSetReads: median(results.map((result) => result.workingSetReads)),
    stages: medianStages(results),
    loads: median(results.map((result) => result.loads)),
    hits: median(results.map((result) => result.hits)),
    faults: results.reduce((sum, result) => sum + result.faults, 0),
    checkFailures,
  };
}
