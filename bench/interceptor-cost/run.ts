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
 * driven at saturation by autocannon from this process (CPU 1), a few rounds in turn.
 *
 *   SWC_NODE_PROJECT=tsconfig.json node -r @swc-node/register bench/interceptor-cost/run.ts \
 *     [--rounds 3] [--seconds 6] [--connections 16] [--variants none,old,new] [--base <commit>]
 *
 * The "old" variants run the library's source at --base (default: the commit before this
 * bench's design change), extracted into .baseline/ (git-ignored). Node 24 is the one
 * .ci/node24.sh installs. Prints a table of medians: req/s, p95 and the ratio of req/s
 * to the same Node's "none" (no interceptor).
 */
const ROOT = join(__dirname, '..', '..');
const args = process.argv.slice(2);
const option = (name: string, fallback: string) => {
  const at = args.indexOf(`--${name}`);
  return at >= 0 ? args[at + 1] : fallback;
};
const rounds = Number(option('rounds', '3'));
const seconds = Number(option('seconds', '6'));
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

async function measure(node: string, major: string, variant: Variant, round: number) {
  const subject = await startSubject(node, variant);
  try {
    const probe = await fetch(`http://127.0.0.1:${subject.port}/items/1`);
    await probe.text();
    await load(subject.port, 2); // warm-up: JIT, the entry in Redis
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
      xCache: probe.headers.get('x-cache'),
    };
    return sample;
  } finally {
    await subject.stop();
  }
}

async function main() {
  const binaries = Object.fromEntries(nodes.map((major) => [major, nodeBinary(major)]));
  const samples: Sample[] = [];
  for (let round = 1; round <= rounds; round++) {
    for (const variant of variants) {
      for (const major of nodes) {
        const sample = await measure(binaries[major], major, variant, round);
        samples.push(sample);
        console.log(JSON.stringify(sample));
      }
    }
  }
  const lines = [
    `${rounds} rounds, ${seconds} s each at ${connections} connections; medians of the rounds`,
    '',
    '| variant | Node | req/s | p50 ms | p95 ms | req/s vs none | CPU µs/req | CPU vs none | X-Cache | errors |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: |',
  ];
  for (const variant of variants) {
    for (const major of nodes) {
      const of = (v: Variant) => samples.filter((s) => s.node === major && s.variant === v);
      const mine = of(variant);
      const none = of('none');
      const rps = median(mine.map((s) => s.rps));
      const cpuUs = median(mine.map((s) => s.cpuUs));
      const ratio = none.length ? (rps / median(none.map((s) => s.rps))).toFixed(3) : '-';
      const cpuRatio = none.length ? (cpuUs / median(none.map((s) => s.cpuUs))).toFixed(3) : '-';
      lines.push(
        `| ${variant} | ${major} | ${rps.toFixed(0)} | ${median(mine.map((s) => s.p50)).toFixed(2)} | ${median(mine.map((s) => s.p95)).toFixed(2)} | ${ratio} | ${cpuUs.toFixed(0)} | ${cpuRatio} | ${mine[0].xCache ?? '-'} | ${mine.reduce((sum, s) => sum + s.errors, 0)} |`,
      );
    }
  }
  const report = lines.join('\n');
  console.log(`\n${report}`);
  const out = option('out', '');
  if (out) writeFileSync(out, `${report}\n\n${samples.map((s) => JSON.stringify(s)).join('\n')}\n`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
