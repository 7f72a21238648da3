import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type {
  RunCommand,
  RunReport,
  WorkerCommand,
  WorkerConfig,
  WorkerMessage,
} from './stampede-protocol';

const ROOT = join(__dirname, '..', '..');
const WORKER = join(ROOT, 'bench', 'workers', 'stampede-worker.ts');
const START_TIMEOUT_MS = 60_000;
/** Lets every worker receive its command before the common start. */
const START_DELAY_MS = 150;
const STOP_TIMEOUT_MS = 10_000;

interface Pending {
  resolve: (report: RunReport) => void;
  reject: (error: Error) => void;
}

/** One worker process: TypeScript through @swc-node/register, like the tests' workers. */
class Worker {
  readonly ready: Promise<void>;
  readonly exited: Promise<void>;
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly pending = new Map<number, Pending>();
  private stderr = '';
  private exitError?: Error;

  constructor(config: WorkerConfig) {
    const child = spawn(
      process.execPath,
      ['-r', '@swc-node/register', WORKER, JSON.stringify(config)],
      {
        cwd: ROOT,
        env: { ...process.env, SWC_NODE_PROJECT: join(ROOT, 'tsconfig.json') },
        stdio: ['pipe', 'pipe', 'pipe'],
      },
    );
    this.child = child;
    child.stderr.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    this.ready = new Promise((resolve, reject) => {
      createInterface({ input: child.stdout }).on('line', (line) => {
        if (!line.startsWith('{')) return;
        const message = JSON.parse(line) as WorkerMessage;
        if (message.type === 'ready') return resolve();
        this.pending.get(message.id)?.resolve(message);
        this.pending.delete(message.id);
      });
      child.once('exit', (code, signal) => {
        this.exitError = new Error(
          `stampede worker ${child.pid} exited (${code ?? signal}): ${this.stderr.slice(-2000)}`,
        );
        reject(this.exitError);
        for (const { reject: fail } of this.pending.values()) fail(this.exitError);
        this.pending.clear();
      });
    });
    this.ready.catch(() => undefined);
  }

  run(command: RunCommand): Promise<RunReport> {
    if (this.exitError) return Promise.reject(this.exitError);
    return new Promise((resolve, reject) => {
      this.pending.set(command.id, { resolve, reject });
      this.send(command);
    });
  }

  send(command: WorkerCommand): void {
    if (!this.exitError) this.child.stdin.write(`${JSON.stringify(command)}\n`);
  }

  /** Asks the worker to close its connections and exit; kills it if it hasn't soon after. */
  async stop(): Promise<void> {
    this.send({ type: 'exit' });
    if (!this.exitError) this.child.stdin.end();
    const timer = setTimeout(() => this.kill(), STOP_TIMEOUT_MS);
    await this.exited;
    clearTimeout(timer);
  }

  kill(): void {
    if (!this.exitError) this.child.kill();
  }
}

/** Long-lived workers, started once and reused for every run of the stampede part. */
export class WorkerFleet {
  private constructor(private readonly workers: Worker[]) {}

  static async start(count: number, config: WorkerConfig): Promise<WorkerFleet> {
    const fleet = new WorkerFleet(Array.from({ length: count }, () => new Worker(config)));
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error('stampede workers did not start')),
        START_TIMEOUT_MS,
      );
    });
    try {
      await Promise.race([Promise.all(fleet.workers.map((w) => w.ready)), timeout]);
    } catch (error) {
      fleet.workers.forEach((w) => w.kill());
      throw error;
    } finally {
      clearTimeout(timer);
    }
    return fleet;
  }

  /** Runs one command on the first `processes` workers, all starting at the same instant. */
  run(processes: number, command: Omit<RunCommand, 'type' | 'startAt'>): Promise<RunReport[]> {
    const startAt = Date.now() + START_DELAY_MS;
    return Promise.all(
      this.workers.slice(0, processes).map((w) => w.run({ ...command, type: 'run', startAt })),
    );
  }

  async stop(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.stop()));
  }
}
