import type { GoalCheck } from '../support/goals';
import { connectAdmin, deleteByPrefix, uniquePrefix } from '../support/redis-admin';
import { ms, thousands, type ReportTable } from '../support/report-table';
import { median, rotate, summarize } from '../support/statistics';
import { STAMPEDE_SUBJECTS, type RunCommand, type StampedeSubjectName } from './stampede-protocol';
import { WorkerFleet } from './worker-fleet';

interface Scenario {
  label: string;
  processes: number;
  command: Pick<RunCommand, 'concurrency' | 'mode' | 'durationMs' | 'loaderDelayMs' | 'ttlSeconds'>;
}

const SCENARIOS: Scenario[] = [
  {
    label: 'cold 1x1000',
    processes: 1,
    command: {
      concurrency: 1000,
      mode: 'burst',
      durationMs: 0,
      loaderDelayMs: 100,
      ttlSeconds: 30,
    },
  },
  {
    label: 'cold 4x250',
    processes: 4,
    command: { concurrency: 250, mode: 'burst', durationMs: 0, loaderDelayMs: 100, ttlSeconds: 30 },
  },
  {
    label: 'hot 4x50 10s',
    processes: 4,
    command: {
      concurrency: 50,
      mode: 'loop',
      durationMs: 10_000,
      loaderDelayMs: 50,
      ttlSeconds: 1,
    },
  },
];
const WORKERS = 4;
const DEFAULT_REPEATS = 3;
const PAUSE_BETWEEN_RUNS_MS = 200;

interface Run {
  loads: number;
  calls: number;
  errors: number;
  p50: number;
  p99: number;
}

export interface StampedeRow {
  scenario: string;
  subject: StampedeSubjectName;
  runs: number;
  loadsMedian: number;
  loadsMin: number;
  loadsMax: number;
  callsMedian: number;
  errors: number;
  firstError?: string;
  p50Ms: number;
  p99Ms: number;
}

export interface StampedeResult {
  repeats: number;
  rows: StampedeRow[];
}

export async function runStampedeBench(repeats = DEFAULT_REPEATS): Promise<StampedeResult> {
  const prefix = uniquePrefix('stampede');
  const admin = await connectAdmin();
  let fleet: WorkerFleet | undefined;
  const runs = new Map<string, Run[]>();
  const firstErrors = new Map<string, string>();
  try {
    process.stderr.write(`  stampede: starting ${WORKERS} worker processes\n`);
    fleet = await WorkerFleet.start(WORKERS, { prefix });
    let id = 0;
    for (let repeat = 0; repeat < repeats; repeat++) {
      for (const scenario of SCENARIOS) {
        for (const subject of rotate(STAMPEDE_SUBJECTS, repeat)) {
          id++;
          const loadsKey = `${prefix}:loads:${id}`;
          const reports = await fleet.run(scenario.processes, {
            ...scenario.command,
            id,
            subject,
            key: `s${id}`,
            loadsKey,
          });
          const latencies = reports.flatMap((r) => r.latenciesMs);
          const { p50, p99 } = summarize(latencies);
          const run: Run = {
            loads: Number((await admin.get(loadsKey)) ?? 0),
            calls: latencies.length,
            errors: reports.reduce((sum, r) => sum + r.errors, 0),
            p50,
            p99,
          };
          const rowId = `${scenario.label}|${subject}`;
          runs.set(rowId, [...(runs.get(rowId) ?? []), run]);
          const firstError = reports.find((r) => r.firstError)?.firstError;
          if (firstError && !firstErrors.has(rowId)) firstErrors.set(rowId, firstError);
          process.stderr.write(
            `  stampede: ${repeat + 1}/${repeats} ${scenario.label} ${subject}: ` +
              `${run.loads} loads, ${run.calls} calls, ${run.errors} errors\n`,
          );
          await new Promise((resolve) => setTimeout(resolve, PAUSE_BETWEEN_RUNS_MS));
        }
      }
    }
  } finally {
    await fleet?.stop();
    await deleteByPrefix(admin, prefix);
    admin.destroy();
  }
  const rows: StampedeRow[] = [];
  for (const scenario of SCENARIOS) {
    for (const subject of STAMPEDE_SUBJECTS) {
      const rowId = `${scenario.label}|${subject}`;
      const list = runs.get(rowId) ?? [];
      const loads = list.map((r) => r.loads);
      rows.push({
        scenario: scenario.label,
        subject,
        runs: list.length,
        loadsMedian: median(loads),
        loadsMin: Math.min(...loads),
        loadsMax: Math.max(...loads),
        callsMedian: median(list.map((r) => r.calls)),
        errors: list.reduce((sum, r) => sum + r.errors, 0),
        firstError: firstErrors.get(rowId),
        p50Ms: median(list.map((r) => r.p50)),
        p99Ms: median(list.map((r) => r.p99)),
      });
    }
  }
  return { repeats, rows };
}

export function stampedeTables(result: StampedeResult): ReportTable[] {
  let lastScenario = '';
  const errorNotes = result.rows
    .filter((row) => row.firstError)
    .map((row) => `${row.scenario} ${row.subject}: first error: ${row.firstError}`);
  return [
    {
      title:
        `Part 2: stampede, loader runs counted fleet-wide (INCR), median of ` +
        `${result.repeats} interleaved runs`,
      notes: [
        'cold: one burst on a missing key, 100 ms loader; hot: TTL 1 s, 50 ms loader, ' +
          '4 processes x 50 callers looping (1-5 ms pauses) for 10 s',
        'ours-near: our module with nearCache: true; bentocache-tiered: memory (L1) + Redis (L2) + ' +
          'its Redis bus; bentocache: Redis (L2) only',
        ...errorNotes,
      ],
      columns: ['scenario', 'subject', 'loads', 'min-max', 'calls', 'errors', 'p50 ms', 'p99 ms'],
      rows: result.rows.map((row) => {
        const scenario = row.scenario === lastScenario ? '' : row.scenario;
        lastScenario = row.scenario;
        return [
          scenario,
          row.subject,
          thousands(row.loadsMedian),
          `${row.loadsMin}-${row.loadsMax}`,
          thousands(row.callsMedian),
          String(row.errors),
          ms(row.p50Ms),
          ms(row.p99Ms),
        ];
      }),
    },
  ];
}

/**
 * The near cache must not add loads: one per cold key fleet-wide, and on the hot key no more
 * than ours without it (the near copy never outlives the entry's fresh time in Redis).
 */
export function stampedeGoals(result: StampedeResult): GoalCheck[] {
  const row = (scenario: string, subject: StampedeSubjectName) =>
    result.rows.find((r) => r.scenario === scenario && r.subject === subject);
  const checks: GoalCheck[] = ['cold 1x1000', 'cold 4x250'].map((scenario) => {
    const near = row(scenario, 'ours-near');
    return {
      part: '2 stampede',
      goal: `${scenario}: ours near loads the key once (every run)`,
      measured: near ? `${near.loadsMin}-${near.loadsMax} loads` : '-',
      holds: near && near.runs > 0 ? near.loadsMax === 1 : null,
    };
  });
  const hotNear = row('hot 4x50 10s', 'ours-near');
  const hotOurs = row('hot 4x50 10s', 'ours');
  checks.push({
    part: '2 stampede',
    goal: 'hot 4x50 10s: ours near loads no more than ours without it (its highest run)',
    measured:
      hotNear && hotOurs
        ? `${thousands(hotNear.loadsMedian)} vs ${thousands(hotOurs.loadsMedian)} loads ` +
          `(medians; ours ${hotOurs.loadsMin}-${hotOurs.loadsMax})`
        : '-',
    holds: hotNear && hotOurs ? hotNear.loadsMedian <= hotOurs.loadsMax : null,
  });
  return checks;
}
