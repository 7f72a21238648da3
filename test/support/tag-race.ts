import type { CacheAsideModuleOptions } from 'nest-cache-aside';
import { sleep, type CacheApp } from './cache-app';
import { rowReadOptions, type RowTagging } from './row-read-options';
import { SqliteRows } from './sqlite-rows';
import { startRowReader } from './workers';
import type { RowReaderReport, RowSweep } from '../workers/row-reader-worker';

export interface TagRace {
  redis: CacheAsideModuleOptions['redis'];
  prefix: string;
  tagging: RowTagging;
  /** The writer's app instance, in this process (readers share its flights). */
  startApp(options: CacheAsideModuleOptions): Promise<CacheApp>;
  cleanUp(prefix: string): Promise<void>;
  /** Concurrent readers in the second process. @default 40 */
  remoteReaders?: number;
  /** Both instances' bound on Redis calls. @default 500 */
  commandTimeoutMs?: number;
  /**
   * Both instances with a near cache: then the second process's reads after the last
   * invalidation are checked too, once `nearWindowMs` has passed (Redis's delivery of
   * the invalidation to it).
   */
  nearCache?: boolean;
}

/** How long after an invalidation resolved the other process's near cache may still serve the old rows. */
const NEAR_WINDOW_MS = 20;

/**
 * 100 rows tagged 'rows', read by 40 callers in a second process and 10 in this one,
 * while this process writes every row and invalidates the tag, 20 times. Then one more
 * write and invalidation: returns how many rows a read serves older than the database
 * (an entry that escaped the last invalidation). Must be 0.
 */
export async function raceTagInvalidations(race: TagRace): Promise<number> {
  const rows = new SqliteRows(100);
  const writer = await race.startApp({
    redis: race.redis,
    keyPrefix: race.prefix,
    commandTimeoutMs: race.commandTimeoutMs ?? 500,
    nearCache: race.nearCache,
  });
  const failedOps = new Set<string>();
  writer.cache.on('redisErrors', (op) => failedOps.add(op));
  const reader = startRowReader({
    mode: 'race',
    redis: race.redis,
    prefix: race.prefix,
    sqlitePath: rows.path,
    rowCount: 100,
    readers: race.remoteReaders ?? 40,
    durationMs: 2500,
    tagging: race.tagging,
    ttlSeconds: 60,
    loaderJitterMs: 10,
    commandTimeoutMs: race.commandTimeoutMs,
    nearCache: race.nearCache,
    sweepAfterRace: race.nearCache,
  });
  try {
    await reader.ready;
    reader.go();
    // a worker that stays up to sweep prints its report as a line (listened to from now)
    const reportLine = race.nearCache
      ? reader.line<RowReaderReport>((line) => 'calls' in line, 30_000)
      : undefined;
    const options = rowReadOptions(race.tagging, 60);
    const deadline = Date.now() + 2500;
    const localReaders = Array.from({ length: 10 }, async () => {
      while (Date.now() < deadline) {
        const id = 1 + Math.floor(Math.random() * 100);
        await writer.cache.getOrLoad(`row:${id}`, async () => rows.read(id), options);
        await sleep(Math.random() * 2); // SQLite reads block the loop: leave room for replies
      }
    });
    for (let round = 0; round < 20; round++) {
      for (let id = 1; id <= 100; id++) rows.bump(id);
      if (!(await writer.cache.invalidateTags('rows'))) {
        throw new Error(
          `invalidation ${round} failed: ${[...failedOps].join(', ')} ${JSON.stringify(writer.cache.stats())}`,
        );
      }
      await sleep(100);
    }
    await Promise.all(localReaders);
    const report = await (reportLine ?? reader.report);
    if (report.errors.length > 0) throw new Error(`reader errors: ${report.errors.join('; ')}`);
    if (report.stats.bypasses > 0) {
      const { bypasses, redisErrors, lastRedisError } = report.stats as RowReaderReport['stats'] & {
        lastRedisError?: unknown;
      };
      throw new Error(
        `${bypasses} reads bypassed Redis (${redisErrors} Redis errors, last: ${JSON.stringify(lastRedisError)})`,
      );
    }
    // the write after the race: from here on, no read may return an older row
    for (let id = 1; id <= 100; id++) rows.bump(id);
    if (!(await writer.cache.invalidateTags('rows'))) throw new Error('invalidation failed');
    const invalidatedAtMs = Date.now();
    let stale = 0;
    for (let id = 1; id <= 100; id++) {
      const served = await writer.cache.getOrLoad(`row:${id}`, async () => rows.read(id), options);
      if (served.version !== rows.read(id).version) stale++;
    }
    if (race.nearCache) {
      const sweep = await reader.line<RowSweep>(
        (line) => 'versions' in line && line.startedAtMs >= invalidatedAtMs + NEAR_WINDOW_MS,
        10_000,
      );
      sweep.versions.forEach((version, i) => {
        if (version !== rows.read(i + 1).version) stale++;
      });
    }
    return stale;
  } finally {
    reader.child.kill();
    rows.close();
    await race.cleanUp(race.prefix);
  }
}
