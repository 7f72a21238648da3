import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type {
  ChangeReport,
  ReaderCommand,
  ReaderConfig,
  ReaderMessage,
  ReaderSummary,
} from './staleness-protocol';

const ROOT = join(__dirname, '..', '..');
const ENTRY = join(ROOT, 'bench', 'workers', 'staleness-reader.ts');
const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 10_000;

/**
 * Process B of the staleness part (TypeScript through @swc-node/register, like the
 * stampede workers). Change reports are kept by key and version for `waitForChange`.
 */
export class ReaderProcess {
  private readonly changes = new Map<string, ChangeReport>();
  private readonly waiters = new Map<string, (report: ChangeReport) => void>();
  private readonly messages: ((message: ReaderMessage) => void)[] = [];
  private stderr = '';
  private exitError?: Error;

  private constructor(
    private readonly child: ChildProcessWithoutNullStreams,
    private readonly exited: Promise<void>,
  ) {
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (!line.startsWith('{')) return;
      const message = JSON.parse(line) as ReaderMessage;
      if (message.type === 'change') {
        const id = `${message.key}@${message.version}`;
        const waiter = this.waiters.get(id);
        if (waiter) {
          this.waiters.delete(id);
          waiter(message);
        } else this.changes.set(id, message);
        return;
      }
      for (const listener of this.messages.splice(0)) listener(message);
    });
    child.stderr.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    child.once('exit', (code, signal) => {
      this.exitError = new Error(
        `staleness reader exited (${code ?? signal}): ${this.stderr.slice(-2000)}`,
      );
    });
  }

  static async start(config: ReaderConfig): Promise<ReaderProcess> {
    const child = spawn(
      process.execPath,
      ['-r', '@swc-node/register', ENTRY, JSON.stringify(config)],
      {
        cwd: ROOT,
        env: { ...process.env, SWC_NODE_PROJECT: join(ROOT, 'tsconfig.json') },
        stdio: ['pipe', 'pipe', 'pipe'],
      },
    );
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const reader = new ReaderProcess(child, exited);
    try {
      await reader.next('ready', START_TIMEOUT_MS);
      return reader;
    } catch (error) {
      child.kill('SIGKILL');
      await exited;
      throw error;
    }
  }

  /** Reads every key once, then keeps reading; resolves once it has read them all. */
  async startReading(): Promise<void> {
    const started = this.next('started', START_TIMEOUT_MS);
    this.send({ type: 'start' });
    await started;
  }

  /** B's report of first serving `version` of `key`, or null if none came within `timeoutMs`. */
  waitForChange(key: string, version: number, timeoutMs: number): Promise<ChangeReport | null> {
    const id = `${key}@${version}`;
    const known = this.changes.get(id);
    if (known) {
      this.changes.delete(id);
      return Promise.resolve(known);
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiters.delete(id);
        resolve(null);
      }, timeoutMs);
      this.waiters.set(id, (report) => {
        clearTimeout(timer);
        resolve(report);
      });
    });
  }

  /** Stops the reads and returns B's summary; the process then exits. */
  async stop(): Promise<ReaderSummary> {
    const summary = this.next('summary', STOP_TIMEOUT_MS) as Promise<ReaderSummary>;
    this.send({ type: 'stop' });
    try {
      return await summary;
    } finally {
      this.child.stdin.end();
      const timer = setTimeout(() => this.child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      await this.exited;
      clearTimeout(timer);
    }
  }

  /** Kills it (after a failure elsewhere). */
  async kill(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    await this.exited;
  }

  private send(command: ReaderCommand): void {
    if (!this.exitError) this.child.stdin.write(`${JSON.stringify(command)}\n`);
  }

  /** The next message of `type` (other than a change report). */
  private next(type: ReaderMessage['type'], timeoutMs: number): Promise<ReaderMessage> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(
          this.exitError ?? new Error(`staleness reader: no '${type}' within ${timeoutMs} ms`),
        );
      }, timeoutMs);
      const listen = (message: ReaderMessage) => {
        if (message.type !== type) return void this.messages.push(listen);
        clearTimeout(timer);
        resolve(message);
      };
      this.messages.push(listen);
      void this.exited.then(() => {
        clearTimeout(timer);
        reject(this.exitError ?? new Error('staleness reader exited'));
      });
    });
  }
}
