import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RESULTS_DIR } from './results-writer';

/** One panel of the chart: a few subjects, each with p50/p95/p99 in ms. */
export interface LatencyPanel {
  title: string;
  rows: { subject: string; p50: number; p95: number; p99: number }[];
}

const WIDTH = 880;
const LABEL_WIDTH = 300;
const VALUE_ROOM = 48;
const PLOT_WIDTH = WIDTH - LABEL_WIDTH - VALUE_ROOM - 16;
const BAR = 8;
const BAR_GAP = 2;
const ROW_GAP = 12;
const SERIES = [
  { key: 'p50', color: '#4e79a7' },
  { key: 'p95', color: '#f28e2b' },
  { key: 'p99', color: '#e15759' },
] as const;

/**
 * A plain SVG bar chart (no chart library): one panel per part, all on one logarithmic
 * ms axis (latencies here span 0.03 to 50 ms), values printed at the end of each bar.
 */
export function renderLatencyChart(
  title: string,
  subtitle: string,
  panels: LatencyPanel[],
): string {
  const values = panels
    .flatMap((p) => p.rows.flatMap((r) => [r.p50, r.p95, r.p99]))
    .filter((v) => Number.isFinite(v) && v > 0);
  const low = Math.floor(Math.log10(Math.min(...values, 1)));
  const high = Math.max(Math.ceil(Math.log10(Math.max(...values, 1))), low + 1);
  const scale = (v: number) =>
    Number.isFinite(v) && v > 0
      ? Math.max(0, ((Math.log10(v) - low) / (high - low)) * PLOT_WIDTH)
      : 0;

  const parts: string[] = [];
  let y = 24;
  parts.push(text(16, y, title, { size: 16, weight: 'bold' }));
  y += 18;
  parts.push(text(16, y, subtitle, { size: 11, fill: '#555' }));
  let legendX = WIDTH - 16 - SERIES.length * 56;
  for (const series of SERIES) {
    parts.push(
      `<rect x="${legendX}" y="${y - 24}" width="12" height="12" fill="${series.color}"/>`,
    );
    parts.push(text(legendX + 16, y - 14, series.key, { size: 12 }));
    legendX += 56;
  }
  y += 8;

  const rowHeight = SERIES.length * (BAR + BAR_GAP) - BAR_GAP + ROW_GAP;
  for (const panel of panels) {
    y += 24;
    parts.push(text(16, y, panel.title, { size: 13, weight: 'bold' }));
    y += 8;
    const plotTop = y;
    const plotBottom = plotTop + panel.rows.length * rowHeight;
    for (let decade = low; decade <= high; decade++) {
      for (const mantissa of decade === high ? [1] : [1, 2, 5]) {
        const tick = mantissa * 10 ** decade;
        const gx = LABEL_WIDTH + scale(tick);
        const major = mantissa === 1;
        parts.push(
          `<line x1="${gx.toFixed(1)}" y1="${plotTop}" x2="${gx.toFixed(1)}" y2="${plotBottom}" ` +
            `stroke="${major ? '#ccc' : '#eee'}"/>`,
        );
        parts.push(
          text(gx, plotBottom + 13, String(Number(tick.toPrecision(3))), {
            size: major ? 10 : 9,
            anchor: 'middle',
            fill: major ? '#444' : '#888',
          }),
        );
      }
    }
    parts.push(
      text(LABEL_WIDTH - 20, plotBottom + 13, 'ms, log scale', {
        size: 10,
        anchor: 'end',
        fill: '#444',
      }),
    );
    panel.rows.forEach((row, i) => {
      const rowTop = plotTop + ROW_GAP / 2 + i * rowHeight;
      const middle = rowTop + (SERIES.length * (BAR + BAR_GAP) - BAR_GAP) / 2;
      parts.push(text(LABEL_WIDTH - 8, middle + 4, row.subject, { size: 12, anchor: 'end' }));
      SERIES.forEach((series, s) => {
        const value = row[series.key];
        const top = rowTop + s * (BAR + BAR_GAP);
        const width = Math.max(scale(value), 1);
        const label = `${row.subject} ${series.key}: ${formatMs(value)} ms`;
        parts.push(
          `<rect x="${LABEL_WIDTH}" y="${top}" width="${width.toFixed(1)}" height="${BAR}" ` +
            `fill="${series.color}"><title>${escape(label)}</title></rect>`,
        );
        parts.push(
          text(LABEL_WIDTH + width + 4, top + BAR - 0.5, formatMs(value), {
            size: 9,
            fill: '#333',
          }),
        );
      });
    });
    parts.push(
      `<line x1="${LABEL_WIDTH}" y1="${plotTop}" x2="${LABEL_WIDTH}" y2="${plotBottom}" stroke="#888"/>`,
    );
    y = plotBottom + 22;
  }
  const height = y + 8;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" ` +
      `viewBox="0 0 ${WIDTH} ${height}" font-family="Helvetica, Arial, sans-serif">`,
    `<rect width="${WIDTH}" height="${height}" fill="#fff"/>`,
    ...parts,
    '</svg>',
    '',
  ].join('\n');
}

export function writeLatencyChart(svg: string): string {
  const path = join(RESULTS_DIR, 'latency.svg');
  writeFileSync(path, svg);
  return path;
}

type LatencyRow = { subject: string; p50Ms: number; p95Ms: number; p99Ms: number };

/** The panels of bench/results/latency.svg from this run's parts (those that ran). */
export function latencyPanels(
  hit?: { rounds: number; rows: (LatencyRow & { scenario: string })[] },
  http?: {
    rounds: number;
    databases: { database: string; rows: (LatencyRow & { step: string; rps: number })[] }[];
  },
): LatencyPanel[] {
  const medians = (rounds: number) => (rounds === 1 ? '1 round' : `medians of ${rounds} rounds`);
  const panel = (title: string, rows: LatencyRow[]): LatencyPanel => ({
    title,
    rows: rows.map((r) => ({ subject: r.subject, p50: r.p50Ms, p95: r.p95Ms, p99: r.p99Ms })),
  });
  const panels: LatencyPanel[] = [];
  for (const [scenario, title] of [
    ['c=1 1024 keys', 'Part 1, hit path, 1 caller (1,024 cached keys): one read'],
    ['c=64 1024 keys', 'Part 1, hit path, 64 concurrent callers (1,024 cached keys): one read'],
  ]) {
    const rows = hit?.rows.filter((r) => r.scenario === scenario) ?? [];
    if (hit && rows.length) panels.push(panel(`${title} (${medians(hit.rounds)})`, rows));
  }
  for (const database of http?.databases ?? []) {
    const saturation = database.rows.filter((r) => r.step === 'saturation');
    if (!http || saturation.length === 0) continue;
    panels.push(
      panel(
        `Part 4, HTTP GET /products/:id at saturation (Zipf ids, ${database.database}), with ` +
          `requests/s served (${medians(http.rounds)})`,
        saturation.map((r) => ({
          ...r,
          subject: `${r.subject} (${Math.round(r.rps).toLocaleString('en-US')}/s)`,
        })),
      ),
    );
  }
  return panels;
}

function formatMs(value: number): string {
  if (!Number.isFinite(value)) return '-';
  if (value < 1) return String(Number(value.toPrecision(2)));
  if (value < 10) return value.toFixed(2);
  if (value < 100) return value.toFixed(1);
  return value.toFixed(0);
}

function text(
  x: number,
  y: number,
  content: string,
  style: { size: number; weight?: string; anchor?: string; fill?: string },
): string {
  const attributes = [
    `x="${x.toFixed(1)}"`,
    `y="${y.toFixed(1)}"`,
    `font-size="${style.size}"`,
    style.weight ? `font-weight="${style.weight}"` : '',
    style.anchor ? `text-anchor="${style.anchor}"` : '',
    `fill="${style.fill ?? '#222'}"`,
  ].filter(Boolean);
  return `<text ${attributes.join(' ')}>${escape(content)}</text>`;
}

function escape(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
