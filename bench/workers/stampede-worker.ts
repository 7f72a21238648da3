/**
 * A separate process with its own Nest app and Redis connections, driven by the
 * stampede bench (like test/workers/cache-worker.ts, but kept alive across runs):
 * it prints {"type":"ready"}, then for each {"type":"run"} line on stdin waits for
 * the common start time, runs the scenario and prints one {"type":"report"} line.
 * Loads are counted in Redis with INCR, so the count is fleet-wide.
 */
import { createInterface } from 'node:readline';
import { createClient } from 'redis';
import { createBenchApp } from '../support/bench-app';
import { createBento, createTieredBento } from '../support/bentocache-store';
import { makeProduct } from '../support/product-fixture';
import { REDIS_URL } from '../support/redis-admin';
import type {
  RunCommand,
  RunReport,
  WorkerCommand,
  WorkerConfig,
  WorkerMessage,
} from '../stampede/stampede-protocol';
import { stampedeReads } from '../stampede/stampede-subjects';

const config = JSON.parse(process.argv[2]) as WorkerConfig;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const send = (message: WorkerMessage) => process.stdout.write(`${JSON.stringify(message)}\n`);

async function main() {
  const bench = await createBenchApp(config.prefix);
  const near = await createBenchApp(`${config.prefix}:near`, { nearCache: true });
  const bento = createBento(config.prefix);
  const tieredBento = createTieredBento(config.prefix);
  const redis = createClient({ url: REDIS_URL });
  redis.on('error', () => undefined);
  await redis.connect();
  const reads = stampedeReads({
    prefix: config.prefix,
    cacheAside: bench.cacheAside,
    nearCacheAside: near.cacheAside,
    cacheManager: bench.cacheManager,
    bento,
    tieredBento,
    redis,
  });

  async function run(command: RunCommand): Promise<RunReport> {
    const read = reads[command.subject];
    let n = 0;
    const loader = async () => {
      await redis.incr(command.loadsKey);
      await sleep(command.loaderDelayMs);
      return makeProduct(++n);
    };
    const report: RunReport = {
      type: 'report',
      id: command.id,
      calls: 0,
      errors: 0,
      latenciesMs: [],
    };
    await sleep(Math.max(0, command.startAt - Date.now()));
    const started = Date.now();
    const once = async () => {
      const callStarted = performance.now();
      try {
        await read(command.key, loader, command.ttlSeconds);
      } catch (error) {
        report.errors++;
        report.firstError ??= String((error as Error)?.message ?? error);
      }
      report.calls++;
      report.latenciesMs.push(Math.round((performance.now() - callStarted) * 1000) / 1000);
    };
    await Promise.all(
      Array.from({ length: command.concurrency }, async () => {
        if (command.mode === 'burst') return once();
        while (Date.now() - started < command.durationMs) {
          await once();
          await sleep(1 + Math.random() * 4);
        }
      }),
    );
    return report;
  }

  send({ type: 'ready', pid: process.pid });
  const lines = createInterface({ input: process.stdin });
  for await (const line of lines) {
    const command = JSON.parse(line) as WorkerCommand;
    if (command.type === 'exit') break;
    send(await run(command));
  }
  lines.close();
  process.stdin.destroy(); // an open stdin would keep the process alive
  redis.destroy();
  await bento.disconnectAll();
  await tieredBento.disconnectAll();
  await near.app.close();
  await bench.app.close();
}

main().catch((error) => {
  process.stderr.write(`${error?.stack ?? error}\n`);
  process.exit(1);
});
