import type { GoalCheck } from '../support/goals';
import { counted, fixed, ms, ratio, thousands, type ReportTable } from '../support/report-table';
import type { HttpDatabaseResult, HttpResult } from './http-bench';
import type { HttpStepRow } from './http-medians';
import { HTTP_SUBJECT_NAMES } from './http-subjects';

/** Issue #16's HTTP goals: at saturation, and at the highest rate no cache sustains. */
const SATURATION_GOAL = 1.2;
const P95_GOAL_MS = 5;
/** Statements per miss that still count as "one query per miss" (a bypassed read queries too). */
const QUERIES_PER_MISS_SLACK = 0.02;

/** Reads a cached build answered without its cache: the figures above include them. */
function bypassNotes(rows: HttpStepRow[]): string[] {
  const odd = rows.filter((r) => r.bypassed > 0 || (r.redisErrors ?? 0) > 0);
  if (odd.length === 0) return [];
  return [
    'answered without the cache (X-Cache BYPASS/STALE; Redis errors or timeouts), all rounds: ' +
      odd
        .map(
          (r) =>
            `${r.subject} ${r.step}: ${r.bypassed}` +
            (r.redisErrors ? ` (${r.redisErrors} Redis errors)` : ''),
        )
        .join('; '),
  ];
}

function verdictNote(result: HttpResult, database: HttpDatabaseResult): string {
  const { rate, perRound, p95Ms, p95VsNoCache } = database.verdict;
  const rule =
    `>= ${result.sustainedShare * 100}% of the rate served, no errors` +
    (result.rounds > 1 ? `, in more than half of the ${result.rounds} rounds` : '');
  const rounds = `each round's own: ${perRound.map((r) => (r === null ? 'none' : r)).join(' / ')}`;
  if (rate === null) return `the no-cache build sustained none of the rates (${rule}; ${rounds})`;
  const p95 = Object.entries(p95Ms)
    .map(([subject, value]) => `${subject} ${ms(value)} ms (${ratio(p95VsNoCache[subject])})`)
    .join(', ');
  return (
    `highest rate the no-cache build sustains (${rule}): ${rate} rps (${rounds}); median p95 ` +
    `there (x: median of the rounds' ratios to the no-cache p95): ${p95}`
  );
}

export function httpTables(result: HttpResult): ReportTable[] {
  return result.databases.flatMap((database) => [
    stepTable(result, database),
    saturationTable(result, database),
  ]);
}

function stepTable(result: HttpResult, database: HttpDatabaseResult): ReportTable {
  let lastSubject = '';
  return {
    title:
      `Part 4: GET /products/:id over HTTP, ${database.database} with ` +
      `${thousands(result.products)} products, median of ${counted(result.rounds, 'interleaved round')}`,
    notes: [
      `autocannon in the bench process, each build in a child process; Zipf ids (s = ${result.zipfExponent}: ` +
        `the top 1% of products get ${fixed(result.topShares['1%'] * 100, 0)}% of reads, the top 10% ` +
        `${fixed(result.topShares['10%'] * 100, 0)}%)`,
      `each round starts the five builds in fresh processes on empty caches and warms each with ` +
        `${thousands(result.warmupRequests)} requests; then every step runs each build in turn, in an order ` +
        `rotated from round to round, each build continuing one id sequence from its start; a round runs ` +
        `SQLite and PostgreSQL (loopback, a database of the bench's own) one after the other`,
      `${result.stepSeconds} s per step; rate steps: ${result.phases} autocannon instances of 1 connection, each ` +
        `at rate/${result.phases} (overallRate), started 1/${result.phases} s apart (autocannon sends a second's share ` +
        `back to back); saturation: ${result.saturationConnections} connections, no rate; latency: ` +
        `autocannon's per-response time, without its coordinated-omission fill-in`,
      'hit %: X-Cache HIT share; near %: share answered by the near cache (library counters); miss/s: X-Cache MISS; ' +
        'db q/s: SQL statements from the catalog query counter; q/miss: statements per miss (1: one query per ' +
        'miss; < 1: concurrent misses of a key shared a load; > 1: reads that bypassed the cache queried too); ' +
        'err: summed over the rounds',
      'x rps, x p95, x db q/s: median over the rounds of the build / the no-cache build at the same step ' +
        'of the same round',
      ...bypassNotes(database.rows),
      verdictNote(result, database),
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
      'near %',
      'miss/s',
      'db q/s',
      'q/miss',
      'x rps',
      'x p95',
      'x db q/s',
    ],
    rows: database.rows.map((row) => {
      const subject = row.subject === lastSubject ? '' : row.subject;
      lastSubject = row.subject;
      return [
        subject,
        row.step,
        thousands(row.rps),
        ms(row.p50Ms),
        ms(row.p95Ms),
        ms(row.p99Ms),
        String(row.errors),
        row.hitRatio === null ? '-' : fixed(row.hitRatio * 100, 1),
        row.nearHitRatio === null ? '-' : fixed(row.nearHitRatio * 100, 1),
        row.missesPerSec === null ? '-' : thousands(row.missesPerSec),
        thousands(row.queriesPerSec),
        row.queriesPerMiss === null ? '-' : fixed(row.queriesPerMiss, 2),
        ratio(row.rpsVsNoCache),
        ratio(row.p95VsNoCache),
        ratio(row.queriesVsNoCache),
      ];
    }),
  };
}

/** Saturation side by side, and each build's p95 at every rate of the ladder. */
function saturationTable(result: HttpResult, database: HttpDatabaseResult): ReportTable {
  const rates = [...new Set(database.rows.filter((r) => r.targetRps !== null).map((r) => r.step))];
  const row = (subject: string, step: string) =>
    database.rows.find((r) => r.subject === subject && r.step === step);
  const p95 = (subject: string, step: string) => row(subject, step)?.p95Ms ?? NaN;
  const cpu = (subject: string, pick: (r: HttpStepRow) => number) => {
    const saturated = row(subject, 'saturation');
    return saturated ? fixed(pick(saturated), 0) : '-';
  };
  return {
    title: `Part 4 summary, ${database.database}: req/s at saturation, x cache-manager, CPU per request there, p95 (ms) per rate`,
    notes: [
      `x cache-manager: median over the ${counted(result.rounds, 'round')} of the build's saturation req/s / ` +
        `cache-manager's in the same round`,
      `${HTTP_SUBJECT_NAMES.ceiling}: the same route answering one view read at start-up, through the ` +
        `same pipeline (id pipe, handler, JSON response); no cache hit costs less, so no cached build ` +
        `can serve more`,
      'app µs/req, Redis µs/req: CPU per response at saturation (median of the rounds), of the ' +
        "build's process (all threads, user + system) and of the Redis server (INFO cpu; the builds " +
        'run one at a time); with the load generator and the database they share the 2 cores, so ' +
        'their sum is what a request costs the machine beyond those',
    ],
    columns: [
      'subject',
      'sat. req/s',
      'x cache-manager',
      'app µs/req',
      'Redis µs/req',
      ...rates.map((step) => `p95 @ ${step}`),
    ],
    rows: database.saturation.map((versus) => [
      versus.subject,
      thousands(versus.rps),
      ratio(versus.rpsVersus),
      cpu(versus.subject, (r) => r.appCpuUsPerRequest),
      cpu(versus.subject, (r) => r.redisCpuUsPerRequest),
      ...rates.map((step) => ms(p95(versus.subject, step))),
    ]),
  };
}

/** Issue #16's HTTP goals, per database, for the near-cache build. */
export function httpGoals(result: HttpResult): GoalCheck[] {
  const near = HTTP_SUBJECT_NAMES['ours-near'];
  const none = HTTP_SUBJECT_NAMES.none;
  return result.databases.flatMap((database): GoalCheck[] => {
    const part = `4 HTTP, ${database.database}`;
    const saturation = database.saturation.find((row) => row.subject === near);
    const cacheManager = database.saturation.find(
      (row) => row.subject === HTTP_SUBJECT_NAMES['cache-manager'],
    );
    const ceiling = database.saturation.find((row) => row.subject === HTTP_SUBJECT_NAMES.ceiling);
    const { rate, p95Ms } = database.verdict;
    const ours = p95Ms[near];
    const noCache = p95Ms[none];
    // Over the whole ladder: a step's edges (a query counted before its response's X-Cache)
    // move a step's own ratio by a query or two per second.
    const nearRows = database.rows.filter((row) => row.subject === near && row.missesPerSec);
    const total = (pick: (row: HttpStepRow) => number) =>
      nearRows.reduce((sum, row) => sum + pick(row), 0);
    const perMiss = nearRows.length
      ? total((r) => r.queriesPerSec) / total((r) => r.missesPerSec!)
      : NaN;
    const perStep = nearRows.map((row) => row.queriesPerMiss!);
    const perStepRange = perStep.length
      ? `${fixed(Math.min(...perStep), 2)}-${fixed(Math.max(...perStep), 2)}`
      : '-';
    return [
      {
        part,
        goal: `saturation req/s, ours near >= ${SATURATION_GOAL}x cache-manager`,
        measured: saturation
          ? `${ratio(saturation.rpsVersus)} (${thousands(saturation.rps)} vs ${thousands(cacheManager?.rps ?? NaN)}; ` +
            `the route's ceiling, a fixed view: ${ratio(ceiling?.rpsVersus ?? NaN)})`
          : '-',
        holds: saturation ? saturation.rpsVersus >= SATURATION_GOAL : null,
      },
      {
        part,
        goal: `p95 at the no-cache build's highest sustained rate: ours near < no cache and < ${P95_GOAL_MS} ms`,
        measured:
          rate === null ? 'no rate sustained' : `${ms(ours)} vs ${ms(noCache)} ms at ${rate} rps`,
        holds: rate === null ? null : ours < noCache && ours < P95_GOAL_MS,
      },
      {
        part,
        goal: 'db queries/s = misses/s (ours near, over the ladder)',
        measured: `${fixed(perMiss, 3)} queries per miss (${perStepRange} per step)`,
        holds: Number.isFinite(perMiss) ? Math.abs(perMiss - 1) <= QUERIES_PER_MISS_SLACK : null,
      },
    ];
  });
}
