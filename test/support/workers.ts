import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { WorkerReport, WorkerScenario } from '../workers/cache-worker';

const ROOT = join(__dirname, '..', '..');
const WORKER = join(ROOT, 'test', 'workers', 'cache-worker.ts');

export interface RunningWorker {
  child: ChildProcess;
  ready: Promise<void>;
  report: Promise<WorkerReport>;
  go(): void;
}

/** Starts a worker process (TypeScript through @swc-node/register, like the app's own code). */
export function startWorker(scenario: WorkerScenario): RunningWorker {
  const child = spawn(
    process.execPath,
    ['-r', '@swc-node/register', WORKER, JSON.stringify(scenario)],
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
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    if (stdout.includes('ready\n')) markReady();
  });
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const report = new Promise<WorkerReport>((resolve, reject) => {
    // 'close', not 'exit': the report may still be in the pipe when the process exits
    child.on('close', (code, signal) => {
      const line = stdout.split('\n').find((l) => l.startsWith('{'));
      if (line) resolve(JSON.parse(line) as WorkerReport);
      else reject(new Error(`worker exited (${code ?? signal}) without a report: ${stderr}`));
    });
  });
  return { child, ready, report, go: () => child.stdin.end('go\n') };
}

/** Starts workers, waits until each is connected, then releases them together. */
export async function runWorkers(scenarios: WorkerScenario[]): Promise<WorkerReport[]> {
  const workers = scenarios.map(startWorker);
  await Promise.all(workers.map((w) => w.ready));
  workers.forEach((w) => w.go());
  return Promise.all(workers.map((w) => w.report));
}
