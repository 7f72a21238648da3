import { setTimeout as sleep } from 'node:timers/promises';
import { createBenchApp, type BenchApp } from '../support/bench-app';
import type { GoalCheck } from '../support/goals';
import {
  connectAdmin,
  deleteByPrefix,
  uniquePrefix,
  type AdminRedis,
} from '../support/redis-admin';
import { counted, fixed, ms, thousands, type ReportTable } from '../support/report-table';
import { summarize } from '../support/statistics';
import { ReaderProcess } from './reader-process';
import { monotonicMs, type ChangeReport, type VersionedValue } from './staleness-protocol';

/*
 * Part 7: the cross-process staleness window of the near cache. Process B (a child) reads a
 * set of keys round-robin through our module with the near cache, so its reads are near
 * hits; process A (this one), with the near cache too, on the same Redis and key prefix,
 * updates one key at a time as an application does: the new version goes to the database
 * (a Redis key outside the cache's prefix stands in for it), then to the cache, by `set()`
 * or by `del()` and a read-through that loads it. Per update, from A's cache write resolving:
 * when B's near cache dropped the key on the invalidation (the library's diagnostics channel
 * tells B as it happens), when B last started a read that served the old version, and when
 * B first served the new one. Times are on the machine's monotonic clock, which the two
 * processes share.
 */
const KEYS = 32;
const UPDATES_PER_ROUND = 1_000;
const DEFAULT_ROUNDS = 3;
const TTL_SECONDS = 600;
/** An update B has not served within this long counts as never seen (the window is longer). */
const SEEN_TIMEOUT_MS = 1_000;
/** Pause between updates, drawn in [0, this): updates fall anywhere in B's read cycle. */
const MAX_PAUSE_MS = 2;
/** Issue #16: the window's p99 on loopback, and the age past which no old read may start. */
const WINDOW_GOAL_MS = 5;

type Mode = 'set' | 'del + read-through';
const MODES: Mode[] = ['set', 'del + read-through'];

export interface StalenessRow {
  mode: Mode;
  updates: number;
  /** ms from A's write resolving to B's near cache dropping the key (null: it never did). */
  delivery: Percentiles | null;
  /** Updates B received no invalidation for (it held no near copy of the key then). */
  withoutReceipt: number;
  /** ms from A's write resolving to the start of B's last read of the old version, if any after A began. */
  lastOldRead: Percentiles | null;
  /** ms from A's write resolving to the end of B's first read of the new version. */
  firstNewRead: Percentiles;
  /** The window per update: delivery when B received one, else the first new read. */
  window: Percentiles;
  /** Reads of the old version that B started after it had received the invalidation. */
  oldReadsAfterInvalidation: number;
  /** Reads of the old version B started more than WINDOW_GOAL_MS after A's write resolved. */
  oldReadsAfterGoal: number;
  /** Updates B did not serve within SEEN_TIMEOUT_MS. */
  notSeen: number;
  /** A's own read-through right after its write returned the old version. */
  writerStaleReads: number;
}

interface Percentiles {
  p50: number;
  p99: number;
  max: number;
}

export interface StalenessResult {
  rounds: number;
  keys: number;
  rows: StalenessRow[];
  /** B's counters: reads, how many its near cache answered, invalidations, flushes, loads. */
  reader: {
    reads: number;
    nearReads: number;
    nearInvalidations: number;
    nearFlushes: number;
    loads: number;
  };
}

interface Sample {
  report: ChangeReport | null;
  /** Before A wrote the database: invalidations and old reads before it belong to earlier updates. */
  startedAt: number;
  writtenAt: number;
  writerStale: boolean;
}

export async function runStalenessBench(rounds = DEFAULT_ROUNDS): Promise<StalenessResult> {
  const prefix = uniquePrefix('staleness');
  const appPrefix = `${prefix}:near`;
  const dbPrefix = `${prefix}:db`;
  const keys = Array.from({ length: KEYS }, (_, i) => `s:${i}`);
  const admin = await connectAdmin();
  let writer: BenchApp | undefined;
  let reader: ReaderProcess | undefined;
  const samples = new Map<Mode, Sample[]>(MODES.map((mode) => [mode, []]));
  try {
    writer = await createBenchApp(appPrefix, { nearCache: true });
    const versions = new Map(keys.map((key) => [key, 1]));
    for (const key of keys) {
      const value = versioned(key, 1);
      await admin.set(`${dbPrefix}:${key}`, JSON.stringify(value));
      await writer.cacheAside.set(key, value, TTL_SECONDS);
    }
    reader = await ReaderProcess.start({ appPrefix, dbPrefix, keys, ttlSeconds: TTL_SECONDS });
    await reader.startReading();
    const context = { writer, reader, admin, dbPrefix, versions };
    for (let round = 1; round <= rounds; round++) {
      // Alternate which mode goes first, so neither always follows the other.
      for (const mode of round % 2 ? MODES : [...MODES].reverse()) {
        samples.get(mode)!.push(...(await runUpdates(mode, keys, context)));
      }
      process.stderr.write(`  staleness: round ${round}/${rounds}\n`);
    }
    const summary = await reader.stop();
    reader = undefined;
    return {
      rounds,
      keys: KEYS,
      rows: MODES.map((mode) => summarizeMode(mode, samples.get(mode)!)),
      reader: {
        reads: summary.reads,
        nearReads: summary.nearReads,
        nearInvalidations: summary.nearInvalidations,
        nearFlushes: summary.nearFlushes,
        loads: summary.loads,
      },
    };
  } finally {
    await reader?.kill();
    await writer?.app.close();
    await deleteByPrefix(admin, prefix);
    admin.destroy();
  }
}

interface UpdateContext {
  writer: BenchApp;
  reader: ReaderProcess;
  admin: AdminRedis;
  dbPrefix: string;
  versions: Map<string, number>;
}

async function runUpdates(mode: Mode, keys: string[], context: UpdateContext): Promise<Sample[]> {
  const { writer, reader, admin, dbPrefix, versions } = context;
  const cache = writer.cacheAside;
  const samples: Sample[] = [];
  for (let update = 0; update < UPDATES_PER_ROUND; update++) {
    const key = keys[Math.floor(Math.random() * keys.length)];
    const version = versions.get(key)! + 1;
    versions.set(key, version);
    const value = versioned(key, version);
    const loader = async (): Promise<VersionedValue> =>
      JSON.parse((await admin.get(`${dbPrefix}:${key}`)) as string);
    const startedAt = monotonicMs();
    // The database first, then the cache, as an application updates.
    await admin.set(`${dbPrefix}:${key}`, JSON.stringify(value));
    if (mode === 'set') await cache.set(key, value, TTL_SECONDS);
    else await cache.del(key);
    const writtenAt = monotonicMs();
    const readBack = await cache.getOrLoad(key, loader, { ttlSeconds: TTL_SECONDS });
    const report = await reader.waitForChange(key, version, SEEN_TIMEOUT_MS);
    samples.push({ report, startedAt, writtenAt, writerStale: readBack.version !== version });
    await sleep(Math.random() * MAX_PAUSE_MS);
  }
  return samples;
}

/** ~1 KB, like the other parts' product. */
function versioned(key: string, version: number): VersionedValue {
  return { version, payload: `${key}:${version}:`.padEnd(1_000, 'x') };
}

/** One update as B saw it, in ms after A's write resolved. */
interface Observed {
  received: number | null;
  lastOld: number | null;
  firstNew: number;
  oldAfterReceipt: number;
  oldAfterGoal: number;
}

function observe(sample: Sample & { report: ChangeReport }): Observed {
  const { report, startedAt, writtenAt } = sample;
  const receipt = report.receipts.find((at) => at >= startedAt);
  const oldReads = report.oldReadStarts.filter((at) => at >= startedAt);
  return {
    received: receipt === undefined ? null : receipt - writtenAt,
    lastOld: oldReads.length ? Math.max(...oldReads) - writtenAt : null,
    firstNew: report.firstNewReadEnd - writtenAt,
    oldAfterReceipt: receipt === undefined ? 0 : oldReads.filter((at) => at > receipt).length,
    oldAfterGoal: oldReads.filter((at) => at - writtenAt > WINDOW_GOAL_MS).length,
  };
}

function summarizeMode(mode: Mode, samples: Sample[]): StalenessRow {
  const seen = samples
    .filter((s): s is Sample & { report: ChangeReport } => s.report !== null)
    .map(observe);
  const present = (values: (number | null)[]) => values.filter((v): v is number => v !== null);
  const delivery = present(seen.map((o) => o.received));
  const lastOld = present(seen.map((o) => o.lastOld));
  const notSeen = samples.length - seen.length;
  return {
    mode,
    updates: samples.length,
    delivery: delivery.length ? percentiles(delivery) : null,
    withoutReceipt: seen.length - delivery.length,
    lastOldRead: lastOld.length ? percentiles(lastOld) : null,
    firstNewRead: percentiles(seen.map((o) => o.firstNew)),
    // B served the old value until it received the invalidation; without one (no near copy
    // of the key at the time) until it first served the new one. Never seen: longer than all.
    window: percentiles([
      ...seen.map((o) => o.received ?? o.firstNew),
      ...Array.from({ length: notSeen }, () => Infinity),
    ]),
    oldReadsAfterInvalidation: seen.reduce((sum, o) => sum + o.oldAfterReceipt, 0),
    oldReadsAfterGoal: seen.reduce((sum, o) => sum + o.oldAfterGoal, 0),
    notSeen,
    writerStaleReads: samples.filter((s) => s.writerStale).length,
  };
}

function percentiles(values: number[]): Percentiles {
  const { p50, p99, max } = summarize(values);
  return { p50, p99, max };
}

export function stalenessTables(result: StalenessResult): ReportTable[] {
  const { reader } = result;
  const span = (p: Percentiles | null) =>
    p === null ? ['-', '-', '-'] : [ms(p.p50), ms(p.p99), ms(p.max)];
  return [
    {
      title:
        `Part 7: cross-process staleness window of the near cache, ms after the writer's ` +
        `write resolved, ${counted(result.rounds, 'round')} of ${thousands(UPDATES_PER_ROUND)} updates per mode`,
      notes: [
        `process A (the bench) updates one of ${result.keys} keys at a time (database, then cache), reads it ` +
          `back, waits for B's report, pauses 0-${MAX_PAUSE_MS} ms; process B reads the keys round-robin, one ` +
          'read at a time, yielding to its event loop after each; both with nearCache: true, same Redis and prefix',
        "received: B's near cache dropped the key (the library's nest-cache-aside:event diagnostics channel, " +
          'published as it drops it; negative: before A saw its write resolve); last old: B started its last ' +
          'read of the old version; first new: B finished its first read of the new version, up to one round ' +
          'of its key cycle later; window: received, or first new for updates B received nothing for ' +
          '(no near copy of the key then)',
        `old after recv: reads of the old version B started after dropping the key; old > ${WINDOW_GOAL_MS} ms: ` +
          `reads of the old version B started more than ${WINDOW_GOAL_MS} ms after the write resolved; no recv: ` +
          `updates B got no invalidation for; not seen: B did not serve the new version within ` +
          `${thousands(SEEN_TIMEOUT_MS)} ms; A stale: A's own read-back returned the old version`,
        `B: ${thousands(reader.reads)} reads, ${thousands(reader.nearReads)} from its near cache, ` +
          `${thousands(reader.nearInvalidations)} near invalidations, ${reader.nearFlushes} flushes, ` +
          `${thousands(reader.loads)} loads (a del's key read before A's fill)`,
        'times on CLOCK_MONOTONIC (process.hrtime), which both processes read',
      ],
      columns: [
        'mode',
        'updates',
        'window p50',
        'p99',
        'max',
        'received p50',
        'p99',
        'max',
        'last old p50',
        'p99',
        'max',
        'first new p50',
        'p99',
        'max',
        'old after recv',
        `old > ${WINDOW_GOAL_MS} ms`,
        'no recv',
        'not seen',
        'A stale',
      ],
      rows: result.rows.map((row) => [
        row.mode,
        thousands(row.updates),
        ...span(row.window),
        ...span(row.delivery),
        ...span(row.lastOldRead),
        ...span(row.firstNewRead),
        String(row.oldReadsAfterInvalidation),
        String(row.oldReadsAfterGoal),
        String(row.withoutReceipt),
        String(row.notSeen),
        String(row.writerStaleReads),
      ]),
    },
  ];
}

/** Issue #16: window p99 under 5 ms on loopback, and no stale read once it has passed. */
export function stalenessGoals(result: StalenessResult): GoalCheck[] {
  const nearUsed = result.reader.nearReads > 0;
  return result.rows.flatMap((row): GoalCheck[] => [
    {
      part: '7 staleness',
      goal: `${row.mode}: window p99 < ${WINDOW_GOAL_MS} ms`,
      measured:
        `${ms(row.window.p99)} ms (p50 ${ms(row.window.p50)}, max ${ms(row.window.max)})` +
        (nearUsed ? '' : '; B had no near hits: nothing near to be stale'),
      holds: row.window.p99 < WINDOW_GOAL_MS,
    },
    {
      part: '7 staleness',
      goal: `${row.mode}: 0 stale reads once the window has passed`,
      measured:
        `${row.oldReadsAfterInvalidation} old reads after receipt, ${row.oldReadsAfterGoal} > ` +
        `${WINDOW_GOAL_MS} ms after the write, ${row.notSeen} updates not seen in ` +
        `${fixed(SEEN_TIMEOUT_MS / 1000, 0)} s`,
      // Stale once the window has passed: an old read B started after it had dropped the key,
      // or a new version B never served. Old reads > 5 ms after the write are within a window
      // longer than the goal (the goal above), not stale reads past it.
      holds: row.oldReadsAfterInvalidation === 0 && row.notSeen === 0,
    },
  ]);
}
