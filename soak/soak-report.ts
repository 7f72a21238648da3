import type { InstanceVitals } from './cache-monitor';
import { type FaultWindow, overlapsWindow } from './fault-injector';
import { OPERATION_KINDS } from './operation-mix';
import { formatMiB } from './process-memory';
import type { RedisKeyAudit } from './redis-key-audit';
import type { FailedRequest, RequestTally } from './request-tally';
import type { StaleEntry, StaleRead } from './stale-read-checker';

export interface MemoryRow {
  process: string;
  startBytes?: number;
  endBytes?: number;
  note?: string;
}

export interface SoakResults {
  description: string;
  minutes: number;
  /** When the load started, on the soak's clock: the report's times count from there. */
  loadStartedMs: number;
  tally: RequestTally;
  stale: StaleRead[];
  /** Windows of the faults the soak injected. */
  windows: FaultWindow[];
  /** Stretches the monitor saw Redis calls fail or a cache not up (see CacheMonitor). */
  observed: FaultWindow[];
  /** Observed windows outside injected faults shelter nothing: their stale reads fail the run. */
  strict: boolean;
  vitals: Map<string, InstanceVitals>;
  memory: MemoryRow[];
  keys?: RedisKeyAudit;
  /** Lines each instance logged at ERROR and WARN level. */
  appLogs: Map<string, { errors: number; warnings: number }>;
  /** Problems outside the figures: an app that crashed, a fault that never recovered. */
  incidents: string[];
  /** How long each kind of entry may live, in ms: the bound of a stale read inside a window. */
  boundsMs: Record<StaleEntry, number>;
}

export interface SoakVerdict {
  text: string;
  problems: string[];
}

const DETAIL_LINES = 10;

/** The figures issue #15 asks for, and the reasons the run fails (none: it passes). */
export function renderSoakReport(results: SoakResults): SoakVerdict {
  const { tally, stale, memory, keys } = results;
  const planned = results.windows;
  // Observed windows that overlap an injected fault are part of it (its start, its tail).
  const unplanned = results.observed.filter(
    (window) => !planned.some((p) => overlapsWindow([p], window.start, window.end ?? window.start)),
  );
  for (const window of results.observed) {
    const fault = planned.find((p) =>
      overlapsWindow([p], window.start, window.end ?? window.start),
    );
    window.label = fault ? `around ${fault.label}` : 'unplanned';
  }
  const windows = [
    ...planned,
    ...results.observed.filter((window) => !unplanned.includes(window)),
    ...(results.strict ? [] : unplanned),
  ];
  const problems = [...results.incidents];
  const lines: string[] = [];
  const row = (label: string, text: string) => lines.push(`${label.padEnd(22)}${text}`);
  const count = (n: number) => n.toLocaleString('en-US');
  const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

  lines.push(results.description);
  const perSecond = tally.total / (results.minutes * 60);
  row('requests', `${count(tally.total)} (${perSecond.toFixed(0)}/s)`);
  row(
    '  by operation',
    OPERATION_KINDS.map((kind) => `${kind} ${count(tally.byKind.get(kind) ?? 0)}`).join(', '),
  );
  row(
    '  by instance',
    [...tally.byInstance].map(([name, n]) => `${name} ${count(n)}`).join(', ') +
      `; expected 404s ${count(tally.expected404)}`,
  );
  const cached = [...tally.xCache].reduce((sum, [, n]) => sum + n, 0);
  row(
    '  X-Cache',
    [...tally.xCache]
      .sort((a, b) => b[1] - a[1])
      .map(([value, n]) => `${value} ${((100 * n) / cached).toFixed(1)}%`)
      .join(', '),
  );

  const failedOutside = tally.failed.filter((f) => !overlapsWindow(windows, f.sent, f.received));
  row(
    'failed requests',
    `${count(tally.failed.length)} (outside fault windows: ${count(failedOutside.length)})`,
  );
  if (failedOutside.length > 0) {
    problems.push(`${failedOutside.length} failed requests outside fault windows`);
  }

  const byKind = new Map<string, number[]>();
  for (const window of planned) {
    const durations = byKind.get(faultOf(window)) ?? [];
    durations.push(window.end ? window.end.ms - window.start.ms : Infinity);
    byKind.set(faultOf(window), durations);
  }
  row(
    'fault windows',
    planned.length === 0
      ? 'none'
      : [...byKind]
          .map(
            ([kind, durations]) =>
              `${kind} x${durations.length} (${seconds(Math.min(...durations))} to ${seconds(Math.max(...durations))})`,
          )
          .join(', ') + ': from the fault until every cache was up again',
  );

  const unplannedMs = unplanned.reduce((sum, w) => sum + (w.end ? w.end.ms - w.start.ms : 0), 0);
  row(
    'unplanned windows',
    `${unplanned.length} (Redis calls failed, or a cache was not up, with no fault injected), ` +
      `${seconds(unplannedMs)} in all${results.strict ? '; --strict: they shelter nothing' : ''}`,
  );
  row(
    'instances',
    [...results.vitals]
      .map(
        ([name, v]) =>
          `${name}: ${count(v.redisErrors)} Redis errors, event loop lagged up to ${v.maxEventLoopLagMs.toFixed(0)} ms`,
      )
      .join('; '),
  );

  const loadMs = results.minutes * 60_000;
  const shelteredMs = coveredMs(windows, results.loadStartedMs, results.loadStartedMs + loadMs);
  row(
    'checked strictly',
    `${seconds(loadMs - shelteredMs)} of ${seconds(loadMs)} (the rest is inside fault windows)`,
  );

  const outside: StaleRead[] = [];
  const inside = new Map<FaultWindow, StaleRead[]>();
  for (const read of stale) {
    const window =
      overlapsWindow(planned, read.sent, read.received) ??
      overlapsWindow(windows, read.sent, read.received);
    if (!window) outside.push(read);
    else inside.set(window, [...(inside.get(window) ?? []), read]);
  }
  row('stale reads outside', `${count(outside.length)} (must be 0)${kindsOf(outside)}`);
  if (outside.length > 0) problems.push(`${outside.length} stale reads outside fault windows`);
  const insideTotal = [...inside.values()].reduce((sum, reads) => sum + reads.length, 0);
  row('stale reads inside', `${count(insideTotal)}${insideTotal ? ', by fault:' : ''}`);
  // Per kind of fault: how long after it stale reads went on, and how old they were.
  const byFault = new Map<string, { windows: number; reads: StaleRead[]; afterFaultMs: number }>();
  for (const [window, reads] of inside) {
    const fault = faultOf(window);
    const group = byFault.get(fault) ?? { windows: 0, reads: [], afterFaultMs: 0 };
    group.windows += 1;
    group.reads.push(...reads);
    const last = Math.max(...reads.map((r) => r.sent.ms));
    group.afterFaultMs = Math.max(group.afterFaultMs, last - window.start.ms);
    byFault.set(fault, group);
    const overBound = reads.filter(
      (r) => r.missed && r.sent.ms - r.missed.ms > results.boundsMs[r.entry],
    );
    if (overBound.length > 0) {
      problems.push(`${overBound.length} stale reads inside ${window.label} outlived their TTL`);
    }
  }
  for (const [fault, group] of byFault) {
    const ages = group.reads.filter((r) => r.missed).map((r) => r.sent.ms - r.missed!.ms);
    row(
      '',
      `${fault}: ${count(group.reads.length)} in ${group.windows} windows, up to ` +
        `${seconds(group.afterFaultMs)} after the fault` +
        (ages.length
          ? `, the oldest ${seconds(Math.max(...ages))} after the write it missed`
          : '') +
        kindsOf(group.reads),
    );
  }

  for (const entry of memory) {
    row(
      memory.indexOf(entry) === 0 ? 'memory (RSS)' : '',
      `${entry.process.padEnd(12)} ${formatMiB(entry.startBytes).padStart(10)} -> ${formatMiB(entry.endBytes).padStart(10)}` +
        (entry.note ? `  (${entry.note})` : ''),
    );
  }
  if (keys) {
    row(
      'redis keys',
      `${count(keys.keys)} at the end, ${formatMiB(keys.usedMemoryBytes)} used; without a TTL: ` +
        `${count(keys.withoutTtl)} (must be 0)${keys.examples.length ? `: ${keys.examples.join(', ')}` : ''}`,
    );
    if (keys.withoutTtl > 0) problems.push(`${keys.withoutTtl} Redis keys without a TTL`);
  }
  row(
    'app logs',
    [...results.appLogs]
      .map(
        ([name, lines]) =>
          `${name}: ${count(lines.errors)} errors, ${count(lines.warnings)} warnings`,
      )
      .join('; '),
  );
  for (const incident of results.incidents) row('incident', incident);

  if (outside.length > 0) {
    lines.push('', 'Stale reads outside fault windows (first ones):');
    for (const read of outside.slice(0, DETAIL_LINES)) {
      lines.push(describeStale(read, results.loadStartedMs));
    }
  }
  if (insideTotal > 0) {
    lines.push('', 'Stale reads inside fault windows (first ones):');
    for (const read of [...inside.values()].flat().slice(0, DETAIL_LINES)) {
      lines.push(describeStale(read, results.loadStartedMs));
    }
  }
  if (failedOutside.length > 0) {
    lines.push('', 'Failed requests outside fault windows (first ones):');
    for (const failure of failedOutside.slice(0, DETAIL_LINES)) {
      lines.push(describeFailure(failure, results.loadStartedMs));
    }
  }
  lines.push('', problems.length === 0 ? 'PASS' : `FAIL: ${problems.join('; ')}`);
  return { text: lines.join('\n'), problems };
}

/** Milliseconds of [from, to] that at least one window covers. */
function coveredMs(windows: FaultWindow[], from: number, to: number): number {
  const spans = windows
    .map((w) => [Math.max(from, w.start.ms), Math.min(to, w.end?.ms ?? to)])
    .filter(([start, end]) => end > start)
    .sort((a, b) => a[0] - b[0]);
  let total = 0;
  let reached = from;
  for (const [start, end] of spans) {
    if (end <= reached) continue;
    total += end - Math.max(start, reached);
    reached = end;
  }
  return total;
}

/** The kind of fault a window belongs to: 'app-restart (b)' and 'around app-restart (b)' are 'app-restart'. */
function faultOf(window: FaultWindow): string {
  return window.label.replace(/^around /, '').replace(/ \(.*\)$/, '');
}

function kindsOf(reads: StaleRead[]): string {
  if (reads.length === 0) return '';
  const kinds = new Map<string, number>();
  for (const read of reads) kinds.set(read.kind, (kinds.get(read.kind) ?? 0) + 1);
  return ` [${[...kinds].map(([kind, n]) => `${kind}: ${n}`).join(', ')}]`;
}

function describeStale(read: StaleRead, originMs: number): string {
  const age = read.missed
    ? `, ${(read.sent.ms - read.missed.ms).toFixed(0)} ms after that write's response`
    : '';
  return (
    `  at ${((read.sent.ms - originMs) / 1000).toFixed(3)} s ${read.request} via ${read.instance}` +
    ` (X-Cache ${read.xCache ?? '-'}): ${read.kind}: ${read.detail}${age}`
  );
}

function describeFailure(failure: FailedRequest, originMs: number): string {
  return `  at ${((failure.sent.ms - originMs) / 1000).toFixed(3)} s ${failure.request} via ${failure.instance}: ${failure.outcome}`;
}
