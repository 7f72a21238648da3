import autocannon from 'autocannon';
import { readdirSync, readFileSync } from 'node:fs';
import { ensureBenchSqlite } from '../support/bench-database';
import { connectAdmin, deleteByPrefix, REDIS_URL, uniquePrefix } from '../support/redis-admin';
import { median } from '../support/statistics';
import { redisCpuMicros } from './http-step';
import { HTTP_SUBJECT_NAMES, type HttpSubjectKind } from './http-subjects';
import { SubjectProcess } from './subject-process';

/*
 * What one request of each kind costs, per build of the HTTP part (SQLite catalog): CPU of
 * the app's main thread and of its other threads (V8's GC workers), from /proc, and of the
 * Redis server (INFO cpu), for misses only (ids never read) and hits only (a few warmed
 * ids). The saturation figures of `npm run bench` mix the two at the Zipf mix's hit rate;
 * this splits them, to say where a build's CPU goes.
 *
 *   SWC_NODE_PROJECT=tsconfig.json node -r @swc-node/register bench/http/request-cost.ts \
 *     [kinds, comma-separated] [rounds]
 */
const DEFAULT_KINDS: HttpSubjectKind[] = [
  'ceiling',
  'none',
  'cache-manager',
  'ours-near',
  'ours-near-no-header',
];
const CONNECTIONS = 16;
const MISSES = 8_000;
const HITS = 20_000;
const HOT_IDS = 500;
/** The CPU times in /proc are in clock ticks of 10 ms (USER_HZ on Linux). */
const MICROS_PER_TICK = 10_000;

interface Cost {
  mainUs: number;
  otherThreadsUs: number;
  redisUs: number;
}

/** CPU ticks (user + system) of each thread of `pid`: the main thread under 'main'. */
function threadTicks(pid: number): Map<string, number> {
  const ticks = new Map<string, number>();
  for (const thread of readdirSync(`/proc/${pid}/task`)) {
    const stat = readFileSync(`/proc/${pid}/task/${thread}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    ticks.set(thread === String(pid) ? 'main' : thread, Number(fields[11]) + Number(fields[12]));
  }
  return ticks;
}

async function measure(
  subject: SubjectProcess,
  admin: Awaited<ReturnType<typeof connectAdmin>>,
  nextPath: () => string,
  amount: number,
): Promise<Cost> {
  const threadsBefore = threadTicks(subject.pid);
  const redisBefore = await redisCpuMicros(admin);
  await new Promise<void>((resolve, reject) =>
    autocannon(
      {
        url: subject.baseUrl,
        connections: CONNECTIONS,
        amount,
        requests: [
          { method: 'GET', setupRequest: (request) => ({ ...request, path: nextPath() }) },
        ],
      },
      (error) => (error ? reject(error) : resolve()),
    ),
  );
  const redisUs = ((await redisCpuMicros(admin)) - redisBefore) / amount;
  let mainTicks = 0;
  let otherTicks = 0;
  for (const [thread, ticks] of threadTicks(subject.pid)) {
    const used = ticks - (threadsBefore.get(thread) ?? 0);
    if (thread === 'main') mainTicks += used;
    else otherTicks += used;
  }
  return {
    mainUs: (mainTicks * MICROS_PER_TICK) / amount,
    otherThreadsUs: (otherTicks * MICROS_PER_TICK) / amount,
    redisUs,
  };
}

async function main() {
  const kinds = (process.argv[2]?.split(',') as HttpSubjectKind[] | undefined) ?? DEFAULT_KINDS;
  const rounds = Number(process.argv[3] ?? 3);
  const database = await ensureBenchSqlite((line) => process.stderr.write(`${line}\n`));
  const admin = await connectAdmin();
  const prefix = uniquePrefix('request-cost');
  const costs = new Map<string, Cost[]>();
  // Ids no round reads twice: each build's misses start past the previous one's.
  let firstMissId = 1;
  try {
    for (let round = 1; round <= rounds; round++) {
      for (const kind of kinds) {
        const keyPrefix = `${prefix}:r${round}:${kind}`;
        const subject = await SubjectProcess.start({
          kind,
          database,
          redisUrl: REDIS_URL,
          keyPrefix,
          ttlSeconds: 600,
        });
        try {
          let hot = 0;
          const hotPath = () => `/products/${90_001 + (hot++ % HOT_IDS)}`;
          await measure(subject, admin, hotPath, HOT_IDS * 4); // warm-up, and the hot ids cached
          let missId = firstMissId;
          const misses = await measure(subject, admin, () => `/products/${missId++}`, MISSES);
          firstMissId += MISSES;
          const hits = await measure(subject, admin, hotPath, HITS);
          for (const [what, cost] of [
            ['miss', misses],
            ['hit', hits],
          ] as const) {
            const id = `${kind}|${what}`;
            costs.set(id, [...(costs.get(id) ?? []), cost]);
          }
          process.stderr.write(`  request cost: round ${round}/${rounds}, ${kind}\n`);
        } finally {
          await subject.stop();
          await deleteByPrefix(admin, keyPrefix);
        }
      }
    }
  } finally {
    admin.destroy();
  }
  const of = (values: number[]) => median(values).toFixed(0);
  const lines = [
    `CPU per request, µs (median of ${rounds} rounds; ${CONNECTIONS} connections; Node ${process.versions.node})`,
    '',
    '| build | request | app main thread | app other threads | Redis |',
    '| --- | --- | ---: | ---: | ---: |',
  ];
  for (const kind of kinds) {
    for (const what of ['hit', 'miss'] as const) {
      const list = costs.get(`${kind}|${what}`) ?? [];
      lines.push(
        `| ${HTTP_SUBJECT_NAMES[kind]} | ${what} | ${of(list.map((c) => c.mainUs))} | ` +
          `${of(list.map((c) => c.otherThreadsUs))} | ${of(list.map((c) => c.redisUs))} |`,
      );
    }
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(
      `${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  },
);
