import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderMarkdown, type ReportTable } from './report-table';

export const RESULTS_DIR = join(__dirname, '..', 'results');

export interface RunInfo {
  startedAt: string;
  durationSeconds: number;
  command: string;
  node: string;
  redis: string;
  cpus: number;
  cpuModel: string;
  /** os.loadavg() (1, 5, 15 min) as the run began and ended: others' work on the machine shows here. */
  loadAverage: { atStart: number[]; atEnd: number[] };
}

/** latest.json (figures only, no samples) and latest.md (the printed tables), both small. */
export function writeResults(info: RunInfo, parts: Record<string, unknown>, tables: ReportTable[]) {
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(join(RESULTS_DIR, 'latest.json'), `${stringifyCompact({ ...info, parts }, '')}\n`);
  const header = [
    '# Benchmark results (latest run)',
    '',
    `\`${info.command}\` on ${info.startedAt}, ${info.durationSeconds} s: Node ${info.node}, ` +
      `Redis ${info.redis}, ${info.cpus} × ${info.cpuModel}; load average (1/5/15 min) ` +
      `${loads(info.loadAverage.atStart)} at the start, ${loads(info.loadAverage.atEnd)} at the end.`,
    '',
  ];
  writeFileSync(
    join(RESULTS_DIR, 'latest.md'),
    `${[...header, ...tables.map((t) => `${renderMarkdown(t)}\n`)].join('\n')}`,
  );
}

function loads(values: number[]): string {
  return values.map((v) => v.toFixed(1)).join('/');
}

/** Pretty at the top, one line per table row: small, and diffs show which figures moved. */
function stringifyCompact(value: unknown, indent: string): string {
  const isRow = (v: unknown) => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (Array.isArray(value)) {
    if (!value.every(isRow)) return JSON.stringify(value, roundNumbers);
    const inner = `${indent}  `;
    const items = value.map((row) => `${inner}${JSON.stringify(row, roundNumbers)}`);
    return `[\n${items.join(',\n')}\n${indent}]`;
  }
  if (isRow(value)) {
    const inner = `${indent}  `;
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${inner}${JSON.stringify(k)}: ${stringifyCompact(v, inner)}`);
    return `{\n${entries.join(',\n')}\n${indent}}`;
  }
  return JSON.stringify(value, roundNumbers);
}

function roundNumbers(_key: string, value: unknown): unknown {
  return typeof value === 'number' && !Number.isInteger(value)
    ? Number(value.toPrecision(4))
    : value;
}
