/*
 * The soak of issue #15: two catalog instances (processes of their own) behind one Redis
 * (a redis-server of its own, on a spare loopback port) and one SQLite database, a load
 * generator sending Zipf-popular reads and a tenth of writes to both, and a checker that
 * flags every read that began after a write's response and shows an older state. Redis is
 * killed and restarted, frozen and thawed, and one instance restarted, on a schedule.
 *
 *   npm run soak                      one minute
 *   npm run soak -- --minutes 10      (--rate N, --concurrency N, --seed N, --strict, --keep)
 *   npm run soak -- --near            both instances with the near cache
 *
 * Exits 1 when a stale read happens outside a fault window, a request fails outside one,
 * a stale read inside one outlives its TTL, a Redis key has no TTL, or an app crashes.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OwnRedis, freePort } from '../test/support/own-redis';
import { seededRandom } from '../test/support/seeded-random';
import { waitForHealthyCaches } from './cache-health';
import { CacheMonitor } from './cache-monitor';
import { CatalogModel } from './catalog-model';
import { CatalogProcess } from './catalog-process';
import { FaultInjector } from './fault-injector';
import { planFaults } from './fault-schedule';
import { HttpClient } from './http-client';
import { type Backend, LoadGenerator } from './load-generator';
import { OperationMix } from './operation-mix';
import { residentBytes } from './process-memory';
import { auditRedisKeys, type RedisKeyAudit, redisPid } from './redis-key-audit';
import { RequestJournal } from './request-journal';
import { RequestTally } from './request-tally';
import { SoakClock } from './soak-clock';
import { seedSoakDatabase, SOAK_PRODUCTS, SOAK_REVIEWS } from './soak-database';
import { parseSoakOptions } from './soak-options';
import { type MemoryRow, renderSoakReport } from './soak-report';
import { StaleReadChecker } from './stale-read-checker';

/**
 * Shorter than the demo's defaults (product 60 s) so entries expire, refresh early and
 * serve grace many times even in a one-minute run; page and not-found TTLs as the demo's.
 */
const TTL_SECONDS = { product: 20, page: 10, notFound: 10, grace: 5 };
const INSTANCE_NAMES = ['a', 'b'];
const START_TIMEOUT_MS = 30_000;

async function main(): Promise<number> {
  const options = parseSoakOptions(process.argv.slice(2));
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const runDir = mkdtempSync(join(tmpdir(), 'nest-cache-aside-soak-'));
  const dbPath = join(runDir, 'catalog.sqlite');
  log(`Soak: ${options.minutes} min; run directory ${runDir}`);

  const seed = await seedSoakDatabase(dbPath);
  const model = new CatalogModel(seed);
  const redis = await OwnRedis.start();
  const processes = new Map<string, CatalogProcess>();
  const clock = new SoakClock();
  const client = new HttpClient(clock);
  const incidents: string[] = [];
  let keep = options.keep;
  try {
    const env = {
      DB_PATH: dbPath,
      DEMO_SEED: 'false',
      REDIS_URL: redis.url,
      CACHE_KEY_PREFIX: 'soak',
      CACHE_TTL_SECONDS: String(TTL_SECONDS.product),
      CACHE_PAGE_TTL_SECONDS: String(TTL_SECONDS.page),
      CACHE_NOT_FOUND_TTL_SECONDS: String(TTL_SECONDS.notFound),
      CACHE_GRACE_SECONDS: String(TTL_SECONDS.grace),
      CACHE_NEAR: String(options.near),
    };
    const backends: Backend[] = [];
    // One after the other: the first runs the migrations (none are left on a seeded file).
    for (const name of INSTANCE_NAMES) {
      const port = await freePort();
      const instance = new CatalogProcess(name, port, env, join(runDir, `app-${name}.log`));
      processes.set(name, instance);
      await instance.start();
      backends.push({ name, port, inRotation: true });
    }
    await waitForHealthyCaches(client, clock, backends, START_TIMEOUT_MS);
    log(
      `  instances ${backends.map((b) => `${b.name} on :${b.port}`).join(', ')}; Redis on :${redis.port}`,
    );

    const memoryAtStart = {
      soak: residentBytes(process.pid),
      redis: residentBytes(await redisPid(redis.url)),
      apps: INSTANCE_NAMES.map((name) => residentBytes(processes.get(name)!.pid)),
    };

    const random = seededRandom(options.seed);
    const tally = new RequestTally();
    const checker = new StaleReadChecker(model);
    const journal = new RequestJournal();
    const generator = new LoadGenerator(
      {
        clock,
        client,
        backends,
        mix: new OperationMix(model, random, `r${options.seed}`),
        model,
        checker,
        tally,
        journal,
        random,
      },
      { ratePerSecond: options.ratePerSecond, concurrency: options.concurrency },
    );
    const injector = new FaultInjector({ clock, client, redis, backends, processes, log });
    const durationMs = options.minutes * 60_000;
    const plan = planFaults(durationMs);

    const monitor = new CacheMonitor(clock, client, backends);
    monitor.start();
    const loadStartedMs = performance.now();
    const loadStarted = clock.now();
    generator.start();
    const faults = injector.run(plan, loadStartedMs);
    const progress = setInterval(
      () =>
        log(
          `  ${((performance.now() - loadStartedMs) / 1000).toFixed(0)} s: ${tally.total} requests, ` +
            `${tally.failed.length} failed, ${checker.stale.length} stale reads`,
        ),
      10_000,
    );
    await new Promise((resolve) => setTimeout(resolve, durationMs));
    injector.stop();
    await faults;
    await generator.stop();
    await monitor.stop();
    clearInterval(progress);
    const elapsedMinutes = (performance.now() - loadStartedMs) / 60_000;

    for (const name of INSTANCE_NAMES) {
      if (processes.get(name)!.crashed) incidents.push(`instance ${name} crashed (see its log)`);
    }
    for (const window of injector.windows) {
      if (window.error) incidents.push(`${window.label}: ${window.error}`);
    }
    let keys: RedisKeyAudit | undefined;
    try {
      keys = await auditRedisKeys(redis.url);
    } catch (error) {
      incidents.push(`could not audit Redis keys: ${String(error)}`);
    }
    const memory: MemoryRow[] = [
      {
        process: 'soak (load)',
        startBytes: memoryAtStart.soak,
        endBytes: residentBytes(process.pid),
      },
      ...INSTANCE_NAMES.map((name, i) => {
        const instance = processes.get(name)!;
        const restarts = instance.starts - 1;
        return {
          process: `app ${name}`,
          startBytes: memoryAtStart.apps[i],
          endBytes: residentBytes(instance.pid),
          note: restarts ? `restarted ${restarts}x: the end is the last process's` : undefined,
        };
      }),
      {
        process: 'redis',
        startBytes: memoryAtStart.redis,
        endBytes: keys ? residentBytes(keys.pid) : undefined,
        note: injector.windows.some((w) => w.kind === 'redis-kill')
          ? "killed and restarted: the end is the last process's"
          : undefined,
      },
    ];

    const report = renderSoakReport({
      description:
        `Soak of ${elapsedMinutes.toFixed(1)} min: 2 catalog instances, SQLite (WAL, ` +
        `${SOAK_PRODUCTS} products, ${SOAK_REVIEWS} reviews), Redis on :${redis.port}; TTLs ` +
        `product ${TTL_SECONDS.product} s, page ${TTL_SECONDS.page} s, not found ` +
        `${TTL_SECONDS.notFound} s, grace ${TTL_SECONDS.grace} s; seed ${options.seed}` +
        (options.near ? '; near cache on in both instances' : ''),
      minutes: elapsedMinutes,
      loadStartedMs: loadStarted.ms,
      tally,
      stale: checker.stale,
      windows: injector.windows,
      observed: monitor.windows,
      strict: options.strict,
      vitals: monitor.vitals,
      memory,
      keys,
      appLogs: new Map(
        INSTANCE_NAMES.map((name) => [name, countLogLines(join(runDir, `app-${name}.log`))]),
      ),
      incidents,
      boundsMs: {
        product: (TTL_SECONDS.product + TTL_SECONDS.grace) * 1000,
        page: (TTL_SECONDS.page + TTL_SECONDS.grace) * 1000,
        'not-found': (TTL_SECONDS.notFound + TTL_SECONDS.grace) * 1000,
      },
    });
    process.stdout.write(`\n${report.text}\n`);
    writeFileSync(
      join(runDir, 'findings.json'),
      JSON.stringify(
        {
          windows: injector.windows,
          observed: monitor.windows,
          stale: checker.stale.map((read) => ({
            ...read,
            // What happened to that product from 3 s before the read until it came back.
            productRequests: journal.around(read.productId, read.sent.ms - 3_000, read.received.ms),
          })),
          failed: tally.failed,
        },
        null,
        2,
      ),
    );
    if (report.problems.length > 0) keep = true;
    return report.problems.length === 0 ? 0 : 1;
  } catch (error) {
    keep = true;
    throw error;
  } finally {
    await Promise.all([...processes.values()].map((instance) => instance.close()));
    await redis.kill();
    client.close();
    if (keep) log(`Kept ${runDir} (app logs, findings.json)`);
    else rmSync(runDir, { recursive: true, force: true });
  }
}

const ESC = String.fromCharCode(27);

function countLogLines(path: string): { errors: number; warnings: number } {
  // Nest's console logger colours its level names: strip the escapes first.
  const text = readFileSync(path, 'utf8').replace(new RegExp(`${ESC}\\[[0-9;]*m`, 'g'), '');
  return {
    errors: (text.match(/^\[Nest\].* ERROR /gm) ?? []).length,
    warnings: (text.match(/^\[Nest\].* WARN /gm) ?? []).length,
  };
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(
      `${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  },
);
