import {
  BENCH_PRODUCTS,
  ensureBenchPostgres,
  ensureBenchSqlite,
  type BenchDatabase,
} from '../support/bench-database';
import {
  connectAdmin,
  deleteByPrefix,
  REDIS_URL,
  uniquePrefix,
  type AdminRedis,
} from '../support/redis-admin';
import { fixed, ms, thousands } from '../support/report-table';
import { rotate } from '../support/statistics';
import {
  medianRows,
  saturationVersus,
  sustainedVerdict,
  SUSTAINED,
  type HttpRoundMeasurement,
  type HttpStepRow,
  type HttpVerdict,
  type SaturationVersus,
} from './http-medians';
import { PHASES, runStep, type HttpStep } from './http-step';
import { HTTP_SUBJECT_NAMES, type HttpSubjectKind } from './http-subjects';
import { SubjectProcess } from './subject-process';
import { zipfIds, type ZipfRequests } from './zipf';

/*
 * Part 4: the catalog's GET /products/:id over HTTP (autocannon) against five builds of
 * the route (no cache, cache-manager's interceptor, ours with and without the X-Cache
 * interceptor, ours with the near cache), each in a process of its own, on two databases
 * with 100k products and 1M reviews: the embedded SQLite, which answers a product view
 * faster than a Redis round trip, and PostgreSQL over loopback, the networked database a
 * cache usually sits in front of. Ids follow a Zipf law (s = 1): a few products get most of
 * the reads, the long tail misses. Every round starts the builds afresh on empty caches and
 * warms each with the same first requests; then each step (a fixed-rate ladder, then
 * saturation) runs every build in turn, in an order rotated from round to round, each
 * continuing its own copy of one id sequence. A round runs both databases, one after the
 * other, in an order that also rotates.
 */
const SUBJECTS: HttpSubjectKind[] = [
  'none',
  'cache-manager',
  'ours',
  'ours-no-header',
  'ours-near',
  'ceiling',
];
const DATABASES = [ensureBenchSqlite, ensureBenchPostgres];
/**
 * Up to past the no-cache build's limit on either Node (at a fixed rate it sustains up to
 * 2,500-4,000 req/s under Node 20 and 4,000-5,000 under Node 24, on this machine), so that
 * "the highest rate no cache sustains" is found by the ladder and not capped by it: a
 * ladder that stopped at 2,000 compared the builds where no cache had capacity to spare.
 */
const HTTP_RATES = [500, 1000, 2000, 2500, 3000, 4000, 5000, 6000];
/**
 * A round takes ~5 min on 2 cores (two databases of 54 steps each, a rate step lasting its
 * duration plus the phase shifts), so two rounds of 2 s steps keep the part near 10 minutes.
 */
const DEFAULT_ROUNDS = 2;
const STEP_SECONDS = 2;
const SATURATION_CONNECTIONS = 16;
/** JIT, SQLite pages and connections: the first step ran slower with 2,000. */
const WARMUP_REQUESTS = 5_000;
const ZIPF_EXPONENT = 1;
const REQUEST_LIST = 400_000;
const TTL_SECONDS = 600;

const STEPS: HttpStep[] = [
  ...HTTP_RATES.map((rate) => ({
    label: `${rate} rps`,
    rate,
    connections: 1,
    duration: STEP_SECONDS,
  })),
  { label: 'saturation', connections: SATURATION_CONNECTIONS, duration: STEP_SECONDS },
];

/** The figures of one database. */
export interface HttpDatabaseResult {
  /** 'SQLite' or 'PostgreSQL'. */
  database: string;
  rounds: number;
  /** Medians over the rounds, per build and step. */
  rows: HttpStepRow[];
  /** Highest ladder rate the no-cache build sustained, and each build's p95 there. */
  verdict: HttpVerdict;
  /** Each build's requests/s at saturation against cache-manager's in the same round. */
  saturation: SaturationVersus[];
}

export interface HttpResult {
  products: number;
  zipfExponent: number;
  /** Theoretical share of requests going to the 1%/10% most popular products. */
  topShares: Record<string, number>;
  rounds: number;
  stepSeconds: number;
  phases: number;
  saturationConnections: number;
  warmupRequests: number;
  /** Share of a rate that counts as sustained (served without errors). */
  sustainedShare: number;
  databases: HttpDatabaseResult[];
}

interface RoundContext {
  zipf: ZipfRequests;
  /** Every key of the part starts with `<prefix>:`. */
  prefix: string;
  admin: AdminRedis;
  log: (line: string) => void;
}

export async function runHttpBench(
  log: (line: string) => void,
  rounds = DEFAULT_ROUNDS,
): Promise<HttpResult> {
  const databases: BenchDatabase[] = [];
  for (const ensure of DATABASES) databases.push(await ensure(log));
  const context: RoundContext = {
    zipf: zipfIds({
      items: BENCH_PRODUCTS,
      exponent: ZIPF_EXPONENT,
      count: REQUEST_LIST,
      seed: 20_251_126,
    }),
    prefix: uniquePrefix('http'),
    admin: await connectAdmin(),
    log,
  };
  const measurements = new Map<string, HttpRoundMeasurement[]>(
    databases.map((database) => [database.label, []]),
  );
  try {
    for (let round = 1; round <= rounds; round++) {
      for (const database of rotate(databases, round - 1)) {
        measurements.get(database.label)!.push(...(await runRound(round, database, context)));
        log(`  http: ${database.label} round ${round}/${rounds}`);
      }
    }
  } finally {
    await deleteByPrefix(context.admin, context.prefix);
    context.admin.destroy();
  }
  const names = SUBJECTS.map((kind) => HTTP_SUBJECT_NAMES[kind]);
  const baseline = HTTP_SUBJECT_NAMES.none;
  const { zipf } = context;
  return {
    products: BENCH_PRODUCTS,
    zipfExponent: ZIPF_EXPONENT,
    topShares: {
      '1%': zipf.topShare(BENCH_PRODUCTS / 100),
      '10%': zipf.topShare(BENCH_PRODUCTS / 10),
    },
    rounds,
    stepSeconds: STEP_SECONDS,
    phases: PHASES,
    saturationConnections: SATURATION_CONNECTIONS,
    warmupRequests: WARMUP_REQUESTS,
    sustainedShare: SUSTAINED,
    databases: databases.map((database) => {
      const list = measurements.get(database.label)!;
      const rows = medianRows(
        list,
        names,
        STEPS.map((step) => step.label),
        baseline,
      );
      return {
        database: database.label,
        rounds,
        rows,
        verdict: sustainedVerdict(list, rows, rounds, baseline),
        saturation: saturationVersus(list, names, HTTP_SUBJECT_NAMES['cache-manager']),
      };
    }),
  };
}

interface RunningSubject {
  name: string;
  process: SubjectProcess;
  nextPath: () => string;
}

/**
 * Fresh processes and key prefixes each round, so no round inherits another's cache,
 * heap or JIT state; the builds stay up together so that each step can take them in turn.
 */
async function runRound(
  round: number,
  database: BenchDatabase,
  context: RoundContext,
): Promise<HttpRoundMeasurement[]> {
  const { admin, zipf } = context;
  const log = (line: string) => context.log(`  http ${database.label} ${line}`);
  const order = rotate(SUBJECTS, round - 1);
  const keyPrefix = (kind: HttpSubjectKind) =>
    `${context.prefix}:${database.kind}:r${round}:${kind}`;
  const started = await Promise.allSettled(
    order.map((kind) =>
      SubjectProcess.start({
        kind,
        database,
        redisUrl: REDIS_URL,
        keyPrefix: keyPrefix(kind),
        ttlSeconds: TTL_SECONDS,
      }),
    ),
  );
  const subjects: RunningSubject[] = [];
  started.forEach((outcome, i) => {
    if (outcome.status !== 'fulfilled') return;
    // The same id sequence for every subject, from its start.
    let cursor = 0;
    const nextPath = () => `/products/${zipf.ids[cursor++ % zipf.ids.length]}`;
    subjects.push({ name: HTTP_SUBJECT_NAMES[order[i]], process: outcome.value, nextPath });
  });
  const measurements: HttpRoundMeasurement[] = [];
  try {
    const failed = started.find(
      (outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected',
    );
    if (failed) throw failed.reason;
    // Not measured, so the builds warm up together: one at a time leaves a core idle.
    await Promise.all(
      subjects.map((subject) =>
        runStep(
          subject.process,
          subject.nextPath,
          { label: 'warm-up', connections: SATURATION_CONNECTIONS, amount: WARMUP_REQUESTS },
          admin,
        ),
      ),
    );
    for (const step of STEPS) {
      for (const subject of subjects) {
        const measurement = await runStep(subject.process, subject.nextPath, step, admin);
        measurements.push({ subject: subject.name, round, ...measurement });
        log(
          `round ${round}: ${subject.name}, ${step.label}: ` +
            `${thousands(measurement.rps)} rps, p95 ${ms(measurement.p95Ms)} ms` +
            (measurement.hitRatio === null
              ? ''
              : `, hits ${fixed(measurement.hitRatio * 100, 1)}%`),
        );
      }
    }
    for (const subject of subjects) {
      const errors = subject.process.errorOutput();
      if (errors) log(`round ${round}: ${subject.name} logged errors:\n${errors.slice(-2000)}`);
    }
  } finally {
    await Promise.all(subjects.map((subject) => subject.process.stop()));
    for (const kind of order) await deleteByPrefix(admin, keyPrefix(kind));
  }
  return measurements;
}
