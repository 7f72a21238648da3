import { counted, fixed, ms, ratio, thousands, type ReportTable } from '../support/report-table';
import type { HttpResult } from './http-bench';
import type { HttpStepRow } from './http-medians';

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

function verdictNote(result: HttpResult): string {
  const { rate, perRound, p95Ms, p95VsNoCache } = result.verdict;
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
  let lastSubject = '';
  return [
    {
      title:
        `Part 4: GET /products/:id over HTTP, SQLite with ${thousands(result.products)} products, ` +
        `median of ${counted(result.rounds, 'interleaved round')}`,
      notes: [
        `autocannon in the bench process, each build in a child process; Zipf ids (s = ${result.zipfExponent}: ` +
          `the top 1% of products get ${fixed(result.topShares['1%'] * 100, 0)}% of reads, the top 10% ` +
          `${fixed(result.topShares['10%'] * 100, 0)}%)`,
        `each round starts the four builds in fresh processes on empty caches and warms each with ` +
          `${thousands(result.warmupRequests)} requests; then every step runs each build in turn, in an order ` +
          `rotated from round to round, each build continuing one id sequence from its start`,
        `${result.stepSeconds} s per step; rate steps: ${result.phases} autocannon instances of 1 connection, each ` +
          `at rate/${result.phases} (overallRate), started 1/${result.phases} s apart (autocannon sends a second's share ` +
          `back to back); saturation: ${result.saturationConnections} connections, no rate; latency: ` +
          `autocannon's per-response time, without its coordinated-omission fill-in`,
        'hit %: X-Cache HIT share; miss/s: X-Cache MISS; db q/s: SQL statements from the catalog query counter; ' +
          'q/miss: statements per miss (1: one query per miss; < 1: concurrent misses of a key shared a load; ' +
          '> 1: reads that bypassed the cache queried too); err: summed over the rounds',
        'x rps, x p95, x db q/s: median over the rounds of the build / the no-cache build at the same step ' +
          'of the same round',
        ...bypassNotes(result.rows),
        verdictNote(result),
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
        'x rps',
        'x p95',
        'x db q/s',
      ],
      rows: result.rows.map((row) => {
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
          row.missesPerSec === null ? '-' : thousands(row.missesPerSec),
          thousands(row.queriesPerSec),
          row.queriesPerMiss === null ? '-' : fixed(row.queriesPerMiss, 2),
          ratio(row.rpsVsNoCache),
          ratio(row.p95VsNoCache),
          ratio(row.queriesVsNoCache),
        ];
      }),
    },
  ];
}
