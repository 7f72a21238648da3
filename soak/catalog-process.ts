import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const ROOT = join(__dirname, '..');
const ENTRY = join(__dirname, 'catalog-entry.ts');
const START_TIMEOUT_MS = 90_000;
const STOP_TIMEOUT_MS = 15_000;

/**
 * One catalog instance in a process of its own (TypeScript through @swc-node/register, as
 * the bench's subjects run), on a fixed port so a restart comes back at the same address.
 * Its output goes to a log file in the run's directory.
 */
export class CatalogProcess {
  private child?: ChildProcess;
  private exited?: Promise<void>;
  private log?: WriteStream;
  /** Starts so far, the first one included. */
  starts = 0;

  constructor(
    readonly name: string,
    readonly port: number,
    private readonly env: NodeJS.ProcessEnv,
    private readonly logPath: string,
  ) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  async start(): Promise<void> {
    this.log ??= createWriteStream(this.logPath, { flags: 'a' });
    const log = this.log;
    log.write(`--- start ${this.starts + 1} at ${new Date().toISOString()}\n`);
    const child = spawn(process.execPath, ['-r', '@swc-node/register', ENTRY], {
      cwd: ROOT,
      env: {
        ...process.env,
        ...this.env,
        PORT: String(this.port),
        SWC_NODE_PROJECT: join(ROOT, 'tsconfig.json'),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    this.starts += 1;
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    child.stdout.pipe(log, { end: false });
    child.stderr.pipe(log, { end: false });
    let timer: NodeJS.Timeout | undefined;
    try {
      await new Promise<void>((resolve, reject) => {
        timer = setTimeout(
          () => reject(new Error(`${this.name} did not start within ${START_TIMEOUT_MS} ms`)),
          START_TIMEOUT_MS,
        );
        createInterface({ input: child.stdout }).on('line', (line) => {
          if (line.startsWith('{"type":"ready"')) resolve();
        });
        child.once('exit', (code, signal) =>
          reject(
            new Error(
              `${this.name} exited (${code ?? signal}) while starting: see ${this.logPath}`,
            ),
          ),
        );
      });
    } catch (error) {
      await this.kill();
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  /** SIGTERM (the app closes: in-flight requests finish, then its connections), SIGKILL if it hangs. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await this.exited;
    clearTimeout(timer);
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  /** Whether it died by itself (a crash, not a stop). */
  get crashed(): boolean {
    const child = this.child;
    return !!child && child.exitCode !== null && child.exitCode !== 0;
  }

  async close(): Promise<void> {
    await this.stop();
    await new Promise<void>((resolve) => (this.log ? this.log.end(resolve) : resolve()));
  }

  private async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGKILL');
    await this.exited;
  }
}
