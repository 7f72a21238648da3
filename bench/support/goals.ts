import type { ReportTable } from './report-table';

/**
 * One goal of issue #16 against what this run measured. Parts compute their own (they
 * know their figures); run-bench prints them together at the end, so a reader sees in one
 * place which goals hold in this run.
 */
export interface GoalCheck {
  part: string;
  goal: string;
  measured: string;
  /** null: this run could not tell (the figure is missing, e.g. no rate was sustained). */
  holds: boolean | null;
}

export function goalsTable(checks: GoalCheck[]): ReportTable {
  let lastPart = '';
  return {
    title: 'Goals (issue #16: near cache), as measured in this run',
    notes: ['ratios are medians of per-round ratios measured side by side, as in the part tables'],
    columns: ['part', 'goal', 'measured', 'holds'],
    rows: checks.map((check) => {
      const part = check.part === lastPart ? '' : check.part;
      lastPart = check.part;
      return [part, check.goal, check.measured, verdict(check.holds)];
    }),
  };
}

function verdict(holds: boolean | null): string {
  if (holds === null) return 'n/a';
  return holds ? 'yes' : 'NO';
}
