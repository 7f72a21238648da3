import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import autocannon from 'autocannon';
import { VARIANTS, type Variant } from './variants';

/*
 * The per-request cost of CacheStatusInterceptor (X-Cache, Cache-Status, Server-Timing) on
 * Node 20 and Node 24, side by side: each variant of subject.ts (a minimal Nest app whose
 * route reads through CacheAsideService, a Redis hit) in its own process pinned to CPU 0,
 * driven at saturation by autocannon from this process (run it on CPU 1: taskset -c 1).
 *
 *   SWC_NODE_PROJECT=tsconfig.json taskset -c 1 node -r @swc-node/register \
 *     bench/interceptor-cost/run.ts [--rounds 8] [--seconds 2] [--connections 16] \
 *     [--variants none,old,new] [--nodes 20,24] [--base <commit>] [--out <file>]
 *     [--ab none:old,none:new,old:new]   (A and B at once instead: see abMain)
 *
 * The "old" variants run the library's source at --base (the commit before the design
 * change), extracted into .baseline/ (git-ignored). Node 24 is the one .ci/node24.sh
 * installs. Prints a table of medians: req/s, p50 and p95, CPU µs per request, and the
 * ratios of req/s and CPU to the same Node's "none" (no interceptor).
 */
const ROOT = join(__dirname, '..', '..');
const args = process.argv.slice(2);
const option = (name: string, fallback: string) => {
  const at = args.indexOf(`--${name}`);
  return at >= 0 ? args[at + 1] : fallback;
};
const rounds = Number(option('rounds', '8'));
const seconds = Number(option('seconds', '2'));
const connections = Number(option('connections', '16'));
const variants = option('variants', VARIANTS.join(',')).split(',') as Variant[];
const base = option('base', '2b6828d');
const nodes = option('nodes', '20,24').split(',');

interface Sample {
  node: string;
  variant: Variant;
  round: number;
  rps: number;
  p50: number;
  p95: number;
  /** CPU time of the subject per request, microseconds (user + system). */
  cpuUs: number;
  errors: number;
  xCache: string | null;
  /** The burst on the same Node's "none" just before this one (none of its own). */
  pair?: { rps: number; cpuUs: number };
}

function nodeBinary(major: string): string {
  if (major === '20') return process.execPath;
  const bin = execFileSync(join(ROOT, '.ci', 'node24.sh'), ['bin'], { encoding: 'utf8' }).trim();
  return join(bin, 'node');
}

function baselineSource(): string {
  const dir = join(__dirname, '.baseline', base);
  if (!existsSync(join(dir, 'libs'))) {
    mkdirSync(dir, { recursive: true });
    execFileSync('sh', ['-c', `git archive ${base} libs/cache-aside/src | tar -x -C "${dir}"`], {
      cwd: ROOT,
    });
  }
  return join(dir, 'libs', 'cache-aside', 'src');
}

async function startSubject(node: string, variant: Variant) {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    VARIANT: variant,
    SWC_NODE_PROJECT: join(ROOT, 'tsconfig.json'),
    KEY_PREFIX: 'bench-interceptor-cost',
  };
  if (variant.startsWith('old')) env.LIBRARY = baselineSource();
  const child = spawn(
    'taskset',
    ['-c', '0', node, '-r', '@swc-node/register', join(__dirname, 'subject.ts')],
    { cwd: ROOT, env, stdio: ['pipe', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const port = await new Promise<number>((resolve, reject) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (line.startsWith('{')) resolve((JSON.parse(line) as { port: number }).port);
    });
    child.once('exit', (code) => reject(new Error(`subject exited (${code}): ${stderr}`)));
  });
  return {
    port,
    xCache: null as string | null,
    stop: async () => {
      child.stdin.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

function load(port: number, duration: number, times?: number[]) {
  return new Promise<{ total: number; errors: number; elapsedMs: number }>((resolve, reject) => {
    const started = performance.now();
    const instance = autocannon(
      {
        url: `http://127.0.0.1:${port}/items/1`,
        connections,
        duration,
      },
      (error, result) =>
        error
          ? reject(error)
          : resolve({
              total: result['2xx'],
              errors: result.errors + result.timeouts + result.non2xx,
              elapsedMs: performance.now() - started,
            }),
    );
    if (times) {
      instance.on('response', (...event: unknown[]) => times.push(event[3] as number));
    }
  });
}

async function cpu(port: number): Promise<NodeJS.CpuUsage> {
  const response = await fetch(`http://127.0.0.1:${port}/cpu`);
  return (await response.json()) as NodeJS.CpuUsage;
}

const quantile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
const median = (values: number[]) =>
  quantile(
    [...values].sort((a, b) => a - b),
    0.5,
  );

type Subject = Awaited<ReturnType<typeof startSubject>>;

/** One burst of load on a subject: req/s, latency, and the subject's CPU per request. */
async function burst(subject: Subject, major: string, variant: Variant, round: number) {
  const times: number[] = [];
  const cpuBefore = await cpu(subject.port);
  const { total, errors, elapsedMs } = await load(subject.port, seconds, times);
  const cpuAfter = await cpu(subject.port);
  times.sort((a, b) => a - b);
  const sample: Sample = {
    node: major,
    variant,
    round,
    rps: (total / elapsedMs) * 1000,
    p50: quantile(times, 0.5),
    p95: quantile(times, 0.95),
    cpuUs: (cpuAfter.user + cpuAfter.system - cpuBefore.user - cpuBefore.system) / total,
    errors,
    xCache: subject.xCache,
  };
  return sample;
}

function shuffled<T>(items: T[]): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [copy[i], copy[j]] = [copy[j], copy[i]];
  }
  return copy;
}

/**
 * Every subject runs from the start (an idle one costs nothing); each round takes them in
 * a new random order, a few seconds each, each right after a burst on its Node's "none":
 * other work on the machine then weighs on every variant alike, and each ratio compares
 * two bursts seconds apart (CPU per request is the steadier measure on a shared machine).
 */
async function main() {
  const binaries = Object.fromEntries(nodes.map((major) => [major, nodeBinary(major)]));
  const subjects: { major: string; variant: Variant; subject: Subject }[] = [];
  try {
    for (const variant of variants) {
      for (const major of nodes) {
        const subject = await startSubject(binaries[major], variant);
        const probe = await fetch(`http://127.0.0.1:${subject.port}/items/1`);
        await probe.text();
        subjects.push({
          major,
          variant,
          subject: { ...subject, xCache: probe.headers.get('x-cache') },
        });
      }
    }
    for (const { subject } of subjects) await load(subject.port, 3); // JIT warm-up
    const samples: Sample[] = [];
    const none = (major: string) =>
      subjects.find((s) => s.major === major && s.variant === 'none')?.subject;
    for (let round = 1; round <= rounds; round++) {
      for (const { major, variant, subject } of shuffled(subjects)) {
        if (variant === 'none') continue;
        const baseline = none(major);
        const pair = baseline && (await burst(baseline, major, 'none', round));
        if (pair) samples.push(pair);
        const sample = await burst(subject, major, variant, round);
        if (pair) sample.pair = { rps: pair.rps, cpuUs: pair.cpuUs };
        samples.push(sample);
        console.log(JSON.stringify(sample));
      }
    }
    report(samples);
  } finally {
    await Promise.all(subjects.map(({ subject }) => subject.stop()));
  }
}

function report(samples: Sample[]) {
  const lines = [
    `${rounds} rounds, ${seconds} s per variant per round at ${connections} connections, ` +
      "variants in a random order each round, each right after a burst on the same Node's " +
      '"none"; medians of the rounds (ratios: the median of each burst\'s ratio to the "none" burst before it)',
    '',
    '| variant | Node | req/s | p50 ms | p95 ms | req/s vs none | CPU µs/req | CPU vs none | X-Cache | errors |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: |',
  ];
  for (const variant of variants) {
    for (const major of nodes) {
      const of = (v: Variant) => samples.filter((s) => s.node === major && s.variant === v);
      const mine = of(variant);
      const paired = mine.filter((s) => s.pair);
      const ratioOf = (field: 'rps' | 'cpuUs') =>
        variant === 'none'
          ? '1.000'
          : paired.length
            ? median(
                paired.map((s) => s[field] / (s.pair as Sample['pair'] & object)[field]),
              ).toFixed(3)
            : '-';
      lines.push(
        `| ${variant} | ${major} | ${median(mine.map((s) => s.rps)).toFixed(0)} | ` +
          `${median(mine.map((s) => s.p50)).toFixed(2)} | ${median(mine.map((s) => s.p95)).toFixed(2)} | ` +
          `${ratioOf('rps')} | ${median(mine.map((s) => s.cpuUs)).toFixed(0)} | ${ratioOf('cpuUs')} | ` +
          `${mine[0].xCache ?? '-'} | ${mine.reduce((sum, s) => sum + s.errors, 0)} |`,
      );
    }
  }
  const table = lines.join('\n');
  console.log(`\n${table}`);
  const out = option('out', '');
  if (out) writeFileSync(out, `${table}\n\n${samples.map((s) => JSON.stringify(s)).join('\n')}\n`);
}

interface AbSample {
  node: string;
  a: Variant;
  b: Variant;
  round: number;
  a_rps: number;
  b_rps: number;
  a_p95: number;
  b_p95: number;
  a_cpuUs: number;
  b_cpuUs: number;
}

/**
 * A against B at once: both subjects on CPU 0, each driven at saturation by its own
 * autocannon for the same seconds. The scheduler shares the CPU between them, so whatever
 * else runs on the machine weighs on both alike, and the ratio of their req/s is the
 * inverse ratio of their CPU per request: the steadiest comparison a shared machine gives.
 */
async function abMain(pairs: [Variant, Variant][]) {
  const binaries = Object.fromEntries(nodes.map((major) => [major, nodeBinary(major)]));
  const samples: AbSample[] = [];
  for (const major of nodes) {
    for (const [a, b] of pairs) {
      const subjectA = await startSubject(binaries[major], a);
      const subjectB = await startSubject(binaries[major], b);
      try {
        await Promise.all([load(subjectA.port, 3), load(subjectB.port, 3)]); // JIT warm-up
        for (let round = 1; round <= rounds; round++) {
          const timesA: number[] = [];
          const timesB: number[] = [];
          const [cpuA0, cpuB0] = await Promise.all([cpu(subjectA.port), cpu(subjectB.port)]);
          const [resultA, resultB] = await Promise.all([
            load(subjectA.port, seconds, timesA),
            load(subjectB.port, seconds, timesB),
          ]);
          const [cpuA1, cpuB1] = await Promise.all([cpu(subjectA.port), cpu(subjectB.port)]);
          timesA.sort((x, y) => x - y);
          timesB.sort((x, y) => x - y);
          const used = (before: NodeJS.CpuUsage, after: NodeJS.CpuUsage) =>
            after.user + after.system - before.user - before.system;
          const sample: AbSample = {
            node: major,
            a,
            b,
            round,
            a_rps: (resultA.total / resultA.elapsedMs) * 1000,
            b_rps: (resultB.total / resultB.elapsedMs) * 1000,
            a_p95: quantile(timesA, 0.95),
            b_p95: quantile(timesB, 0.95),
            a_cpuUs: used(cpuA0, cpuA1) / resultA.total,
            b_cpuUs: used(cpuB0, cpuB1) / resultB.total,
          };
          samples.push(sample);
          console.log(JSON.stringify(sample));
        }
      } finally {
        await Promise.all([subjectA.stop(), subjectB.stop()]);
      }
    }
  }
  const lines = [
    `A and B at once on one CPU, ${rounds} rounds of ${seconds} s at ${connections} connections each; ` +
      "medians of the rounds (B/A: the median of the rounds' ratios)",
    '',
    '| Node | A | B | A req/s | B req/s | B/A req/s | A p95 ms | B p95 ms | A CPU µs/req | B CPU µs/req | B/A CPU |',
    '| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const major of nodes) {
    for (const [a, b] of pairs) {
      const mine = samples.filter((s) => s.node === major && s.a === a && s.b === b);
      const m = (f: (s: AbSample) => number, digits = 0) => median(mine.map(f)).toFixed(digits);
      lines.push(
        `| ${major} | ${a} | ${b} | ${m((s) => s.a_rps)} | ${m((s) => s.b_rps)} | ` +
          `${m((s) => s.b_rps / s.a_rps, 3)} | ${m((s) => s.a_p95, 2)} | ${m((s) => s.b_p95, 2)} | ` +
          `${m((s) => s.a_cpuUs)} | ${m((s) => s.b_cpuUs)} | ${m((s) => s.b_cpuUs / s.a_cpuUs, 3)} |`,
      );
    }
  }
  const table = lines.join('\n');
  console.log(`\n${table}`);
  const out = option('out', '');
  if (out) writeFileSync(out, `${table}\n\n${samples.map((s) => JSON.stringify(s)).join('\n')}\n`);
}

const abPairs = option('ab', '');
(abPairs
  ? abMain(abPairs.split(',').map((pair) => pair.split(':') as [Variant, Variant]))
  : main()
).catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
