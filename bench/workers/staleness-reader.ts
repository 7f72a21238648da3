/**
 * Process B of the staleness bench: our module with the near cache, reading the part's keys
 * round-robin, one read at a time, yielding to the event loop after each read (as a server
 * between requests does; a loop of near hits that never yields would never see an
 * invalidation arrive). Reports each key's version change as it first serves it, with the
 * moments its near cache dropped the key on an invalidation and its reads of the old version.
 * Prints {"type":"ready"}; on {"type":"start"} reads every key once, prints
 * {"type":"started"} and keeps reading; on {"type":"stop"} prints a summary and exits.
 */
import { subscribe } from 'node:diagnostics_channel';
import { createInterface } from 'node:readline';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { createClient } from 'redis';
import { createBenchApp } from '../support/bench-app';
import { REDIS_URL } from '../support/redis-admin';
import {
  monotonicMs,
  type ReaderCommand,
  type ReaderConfig,
  type ReaderMessage,
  type VersionedValue,
} from '../staleness/staleness-protocol';

const config = JSON.parse(process.argv[2]) as ReaderConfig;
const send = (message: ReaderMessage) => process.stdout.write(`${JSON.stringify(message)}\n`);

/** Old reads kept per key between reports: enough to cover any window worth measuring. */
const OLD_READS_KEPT = 64;

interface KeyState {
  version: number;
  receipts: number[];
  oldReadStarts: number[];
}

/** What the library publishes on `nest-cache-aside:event` (a stats() counter moved). */
interface CacheEventMessage {
  event: string;
  key: string;
}

async function main() {
  const bench = await createBenchApp(config.appPrefix, { nearCache: true });
  const cache = bench.cacheAside;
  const db = createClient({ url: REDIS_URL });
  db.on('error', () => undefined);
  await db.connect();
  let loads = 0;
  // The stand-in database: the current version, as A wrote it before touching the cache.
  const loaders = new Map(
    config.keys.map((key) => [
      key,
      async (): Promise<VersionedValue> => {
        loads++;
        return JSON.parse((await db.get(`${config.dbPrefix}:${key}`)) as string);
      },
    ]),
  );
  const options = { ttlSeconds: config.ttlSeconds };
  const states = new Map<string, KeyState>(
    config.keys.map((key) => [key, { version: 0, receipts: [], oldReadStarts: [] }]),
  );
  // Published synchronously as the near cache drops the entry: the moment B knows.
  subscribe('nest-cache-aside:event', (message) => {
    const { event, key } = message as CacheEventMessage;
    if (event === 'nearInvalidations') states.get(key)?.receipts.push(monotonicMs());
  });
  let reads = 0;
  let nearReads = 0;
  let stopping = false;

  const readOnce = async (key: string) => {
    const start = monotonicMs();
    const result = await cache.getOrLoadWithStatus(key, loaders.get(key)!, options);
    const end = monotonicMs();
    reads++;
    if (result.source === 'near') nearReads++;
    const state = states.get(key)!;
    const { version } = result.value;
    if (version > state.version) {
      if (state.version > 0) {
        send({
          type: 'change',
          key,
          version,
          firstNewReadStart: start,
          firstNewReadEnd: end,
          receipts: state.receipts,
          oldReadStarts: state.oldReadStarts,
          source: result.source ?? result.status,
        });
      }
      Object.assign(state, { version, receipts: [], oldReadStarts: [] });
    } else {
      state.oldReadStarts.push(start);
      if (state.oldReadStarts.length > OLD_READS_KEPT) state.oldReadStarts.shift();
    }
    await yieldToEventLoop();
  };

  const loop = async () => {
    for (const key of config.keys) await readOnce(key);
    send({ type: 'started' });
    while (!stopping) for (const key of config.keys) await readOnce(key);
  };

  send({ type: 'ready' });
  let running: Promise<void> | undefined;
  const lines = createInterface({ input: process.stdin });
  for await (const line of lines) {
    const command = JSON.parse(line) as ReaderCommand;
    if (command.type === 'start') running = loop();
    if (command.type === 'stop') break;
  }
  stopping = true;
  await running;
  const stats = cache.stats();
  send({
    type: 'summary',
    reads,
    nearReads,
    nearInvalidations: stats.nearInvalidations ?? 0,
    nearFlushes: stats.nearFlushes ?? 0,
    loads,
  });
  lines.close();
  process.stdin.destroy(); // an open stdin would keep the process alive
  db.destroy();
  await bench.app.close();
}

main().catch((error) => {
  process.stderr.write(`${error?.stack ?? error}\n`);
  process.exit(1);
});
