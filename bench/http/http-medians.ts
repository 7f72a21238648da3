import { median } from '../support/statistics';
import type { HttpStepMeasurement } from './http-step';

/** A rate counts as sustained when this share of it was served, without errors. */
export const SUSTAINED = 0.97;

export interface HttpRoundMeasurement extends HttpStepMeasurement {
  subject: string;
  /** 1-based. */
  round: number;
}

/**
 * One subject at one step over the rounds: medians of a single measurement's fields (same
 * names, so one-pass readers such as the latency chart read them unchanged), except
 * `errors`, `bypassed` and `redisErrors`, which are summed over the rounds.
 */
export interface HttpStepRow extends HttpStepMeasurement {
  subject: string;
  /** SQL statements per X-Cache miss, a median of the rounds' own (null: no cache or misses). */
  queriesPerMiss: number | null;
  /**
   * Median over the rounds of this figure / the no-cache build's at the same step of the
   * same round: the two ran seconds apart, so a round's slow spell touches both.
   */
  rpsVsNoCache: number;
  p95VsNoCache: number;
  queriesVsNoCache: number;
  /** Rounds in which this rate was sustained (null: the saturation step). */
  sustainedRounds: number | null;
}

export interface HttpVerdict {
  /** Highest ladder rate the no-cache build sustained in more than half of the rounds. */
  rate: number | null;
  /** Each round's own highest sustained rate, in round order. */
  perRound: (number | null)[];
  /** Each build's median p95 at `rate`. */
  p95Ms: Record<string, number>;
  /** Each build's median per-round ratio of its p95 to the no-cache p95 at `rate`. */
  p95VsNoCache: Record<string, number>;
}

function sustained(m: HttpStepMeasurement): boolean {
  return m.targetRps !== null && m.errors === 0 && m.rps >= SUSTAINED * m.targetRps;
}

/** Null when no round has the figure (a build without a cache has no hit ratio). */
function medianOrNull(values: (number | null | undefined)[]): number | null {
  const present = values.filter((v): v is number => typeof v === 'number');
  return present.length ? median(present) : null;
}

const sum = (values: (number | undefined)[]) => values.reduce<number>((s, v) => s + (v ?? 0), 0);

/** Rows in `subjects` × `steps` order; `baseline` is the no-cache build's subject name. */
export function medianRows(
  measurements: HttpRoundMeasurement[],
  subjects: string[],
  steps: string[],
  baseline: string,
): HttpStepRow[] {
  const of = (subject: string, step: string) =>
    measurements.filter((m) => m.subject === subject && m.step === step);
  const rows: HttpStepRow[] = [];
  for (const subject of subjects) {
    for (const step of steps) {
      const list = of(subject, step);
      if (list.length === 0) continue;
      const base = new Map(of(baseline, step).map((m) => [m.round, m]));
      const versus = (pick: (m: HttpStepMeasurement) => number) =>
        median(
          list.map((m) => {
            const sameRound = base.get(m.round);
            return sameRound ? pick(m) / pick(sameRound) : NaN;
          }),
        );
      const library = list.some((m) => m.libraryMissesPerSec !== undefined);
      rows.push({
        subject,
        step,
        targetRps: list[0].targetRps,
        rps: median(list.map((m) => m.rps)),
        p50Ms: median(list.map((m) => m.p50Ms)),
        p95Ms: median(list.map((m) => m.p95Ms)),
        p99Ms: median(list.map((m) => m.p99Ms)),
        errors: sum(list.map((m) => m.errors)),
        hitRatio: medianOrNull(list.map((m) => m.hitRatio)),
        nearHitRatio: medianOrNull(list.map((m) => m.nearHitRatio)),
        missesPerSec: medianOrNull(list.map((m) => m.missesPerSec)),
        queriesPerSec: median(list.map((m) => m.queriesPerSec)),
        queriesPerMiss: medianOrNull(
          list.map((m) => (m.missesPerSec ? m.queriesPerSec / m.missesPerSec : null)),
        ),
        loadsPerSec: median(list.map((m) => m.loadsPerSec)),
        libraryMissesPerSec: library
          ? (medianOrNull(list.map((m) => m.libraryMissesPerSec)) ?? undefined)
          : undefined,
        bypassed: sum(list.map((m) => m.bypassed)),
        redisErrors: library ? sum(list.map((m) => m.redisErrors)) : undefined,
        appCpuUsPerRequest: median(list.map((m) => m.appCpuUsPerRequest)),
        redisCpuUsPerRequest: median(list.map((m) => m.redisCpuUsPerRequest)),
        rpsVsNoCache: versus((m) => m.rps),
        p95VsNoCache: versus((m) => m.p95Ms),
        queriesVsNoCache: versus((m) => m.queriesPerSec),
        sustainedRounds: list[0].targetRps === null ? null : list.filter(sustained).length,
      });
    }
  }
  return rows;
}

/**
 * One round can catch the machine busy at a rate the others sustained (or the reverse),
 * so the rate is the one most rounds agree on; each round's own is reported beside it.
 */
export function sustainedVerdict(
  measurements: HttpRoundMeasurement[],
  rows: HttpStepRow[],
  rounds: number,
  baseline: string,
): HttpVerdict {
  const perRound = Array.from({ length: rounds }, (_, i) => {
    const rates = measurements
      .filter((m) => m.subject === baseline && m.round === i + 1 && sustained(m))
      .map((m) => m.targetRps!);
    return rates.length ? Math.max(...rates) : null;
  });
  const agreed = rows
    .filter((r) => r.subject === baseline && (r.sustainedRounds ?? 0) > rounds / 2)
    .map((r) => r.targetRps!);
  const rate = agreed.length ? Math.max(...agreed) : null;
  const p95Ms: Record<string, number> = {};
  const p95VsNoCache: Record<string, number> = {};
  for (const row of rows) {
    if (rate === null || row.targetRps !== rate) continue;
    p95Ms[row.subject] = row.p95Ms;
    p95VsNoCache[row.subject] = row.p95VsNoCache;
  }
  return { rate, perRound, p95Ms, p95VsNoCache };
}

/** One build at saturation against another (cache-manager's), measured in the same rounds. */
export interface SaturationVersus {
  subject: string;
  rps: number;
  /** Median over the rounds of this build's requests/s / the other build's in that round. */
  rpsVersus: number;
}

export function saturationVersus(
  measurements: HttpRoundMeasurement[],
  subjects: string[],
  versus: string,
  step = 'saturation',
): SaturationVersus[] {
  const atStep = measurements.filter((m) => m.step === step);
  const base = new Map(atStep.filter((m) => m.subject === versus).map((m) => [m.round, m.rps]));
  return subjects.map((subject) => {
    const list = atStep.filter((m) => m.subject === subject);
    return {
      subject,
      rps: median(list.map((m) => m.rps)),
      rpsVersus: median(list.map((m) => m.rps / (base.get(m.round) ?? NaN))),
    };
  });
}
