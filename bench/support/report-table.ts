/** A result table: printed aligned on stdout and as Markdown into latest.md. */
export interface ReportTable {
  title: string;
  /** Lines printed under the title (setup, how to read the figures). */
  notes: string[];
  columns: string[];
  rows: string[][];
}

export function renderText(table: ReportTable): string {
  const widths = table.columns.map((column, i) =>
    Math.max(column.length, ...table.rows.map((row) => row[i].length)),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i])))
      .join('  ');
  return [
    `## ${table.title}`,
    ...table.notes.map((note) => `   ${note}`),
    line(table.columns),
    ...table.rows.map(line),
  ].join('\n');
}

export function renderMarkdown(table: ReportTable): string {
  const row = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [
    `### ${table.title}`,
    '',
    ...table.notes.map((note) => `- ${note}`),
    ...(table.notes.length ? [''] : []),
    row(table.columns),
    row(table.columns.map((_, i) => (i === 0 ? '---' : '---:'))),
    ...table.rows.map(row),
  ].join('\n');
}

export function fixed(value: number, digits: number): string {
  return Number.isFinite(value) ? value.toFixed(digits) : '-';
}

/** Latency in ms with three significant-ish digits (0.031, 1.25, 108). */
export function ms(value: number): string {
  if (!Number.isFinite(value)) return '-';
  if (value < 1) return value.toFixed(3);
  if (value < 100) return value.toFixed(2);
  return value.toFixed(0);
}

export function thousands(value: number): string {
  return Number.isFinite(value) ? Math.round(value).toLocaleString('en-US') : '-';
}

/** '1 round', '3 rounds'. */
export function counted(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

export function ratio(value: number): string {
  return Number.isFinite(value) ? `${value.toFixed(2)}x` : '-';
}
