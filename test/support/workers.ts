import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { WorkerReport, WorkerScenario } from '../workers/cache-worker';
import type { RowReaderReport, RowReaderScenario } from '../workers/row-reader-worker';
import { connectTestRedis } from './redis';

const ROOT = join(__dirname, '..', '..');
const WORKER = join(ROOT, 'test', 'workers', 'cache-worker.ts');
const ROW_READER = join(ROOT, 'test', 'workers', 'row-reader-worker.ts');

export interface RunningWorker<Report = WorkerReport> {
  child: ChildProcess;
  ready: Promise<void>;
  /** The first JSON line it printed, once it exited. */
  report: Promise<Report>;
  /** Resolves with the first JSON line it prints that `accept` takes. */
  line<L>(accept: (line: L) => boolean, timeoutMs: number): Promise<L>;
  go(): void;
}

/** Starts a worker process (TypeScript through @swc-node/register, like the app's own code). */
export function startWorker(scenario: WorkerScenario): RunningWorker {
  return spawnWorker<WorkerReport>(WORKER, scenario);
}

/** A second app instance reading versioned SQLite rows (test/workers/row-reader-worker.ts). */
export function startRowReader(scenario: RowReaderScenario): RunningWorker<RowReaderReport> {
  return spawnWorker<RowReaderReport>(ROW_READER, scenario);
}

function spawnWorker<Report>(file: string, scenario: object): RunningWorker<Report> {
  const child = spawn(
    process.execPath,
    ['-r', '@swc-node/register', file, JSON.stringify(scenario)],
    {
      cwd: ROOT,
      env: { ...process.env, SWC_NODE_PROJECT: join(ROOT, 'tsconfig.json') },
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  let stderr = '';
  let markReady: () => void;
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  const lineListeners = new Set<(line: string) => void>();
  child.stdout.on('data', (chunk: Buffer) => {
    const before = stdout.length;
    stdout += chunk.toString();
    if (stdout.includes('ready\n')) markReady();
    const complete = stdout.slice(stdout.lastIndexOf('\n', before) + 1, stdout.lastIndexOf('\n'));
    for (const line of complete.split('\n')) {
      if (line.startsWith('{')) for (const listener of lineListeners) listener(line);
    }
  });
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const report = new Promise<Report>((resolve, reject) => {
    // 'close', not 'exit': the report may still be in the pipe when the process exits
    child.on('close', (code, signal) => {
      const line = stdout.split('\n').find((l) => l.startsWith('{'));
      if (line) resolve(JSON.parse(line) as Report);
      else reject(new Error(`worker exited (${code ?? signal}) without a report: ${stderr}`));
    });
  });
  const line = <L>(accept: (line: L) => boolean, timeoutMs: number) =>
    new Promise<L>((resolve, reject) => {
      const timer = setTimeout(() => {
        lineListeners.delete(listener);
        reject(new Error(`no matching line from the worker within ${timeoutMs} ms: ${stderr}`));
      }, timeoutMs);
      const listener = (text: string) => {
        const parsed = JSON.parse(text) as L;
        if (!accept(parsed)) return;
        clearTimeout(timer);
        lineListeners.delete(listener);
        resolve(parsed);
      };
      lineListeners.add(listener);
    });
  return { child, ready, report, line, go: () => child.stdin.end('go\n') };
}

/** Starts workers, waits until each is connected, then releases them together. */
export async function runWorkers(scenarios: WorkerScenario[]): Promise<WorkerReport[]> {
  const workers = scenarios.map(startWorker);
  await Promise.all(workers.map((w) => w.ready));
  workers.forEach((w) => w.go());
  return Promise.all(workers.map((w) => w.report));
}

/**
 * 4 processes x 250 concurrent calls on one cold key of `redis` (any topology):
 * loader runs counted fleet-wide on the shared Redis at REDIS_URL, then cleaned up.
 */
export async function coldBurstAcrossProcesses(
  redis: WorkerScenario['redis'],
  counterPrefix: string,
): Promise<{ loads: number; reports: WorkerReport[] }> {
  const reports = await runWorkers(
    Array.from({ length: 4 }, () => ({
      prefix: counterPrefix,
      key: 'product:1',
      concurrency: 250,
      mode: 'burst' as const,
      loaderDelayMs: 100,
      ttlSeconds: 30,
      redis,
    })),
  );
  const counter = await connectTestRedis();
  try {
    const loads = Number(await counter.get(`${counterPrefix}-loads`));
    await counter.del([
      `${counterPrefix}-loads`,
      `${counterPrefix}-active`,
      `${counterPrefix}-loading`,
    ]);
    return { loads, reports };
  } finally {
    counter.destroy();
  }
}
