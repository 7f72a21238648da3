import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { HttpSubjectConfig, HttpSubjectStats } from './http-subjects';

const ROOT = join(__dirname, '..', '..');
const ENTRY = join(__dirname, 'http-subject-app.ts');
const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 10_000;

/** One HTTP subject app in a child process (TypeScript through @swc-node/register). */
export class SubjectProcess {
  private stderr = '';

  private constructor(
    private readonly child: ChildProcessWithoutNullStreams,
    private readonly exited: Promise<void>,
    readonly port: number,
  ) {}

  /** The app's process id (its threads' CPU is read from /proc). */
  get pid(): number {
    return this.child.pid!;
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  static async start(config: HttpSubjectConfig): Promise<SubjectProcess> {
    const child = spawn(
      process.execPath,
      ['-r', '@swc-node/register', ENTRY, JSON.stringify(config)],
      {
        cwd: ROOT,
        env: { ...process.env, SWC_NODE_PROJECT: join(ROOT, 'tsconfig.json') },
        stdio: ['pipe', 'pipe', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    let timer: NodeJS.Timeout | undefined;
    try {
      const port = await new Promise<number>((resolve, reject) => {
        timer = setTimeout(() => reject(new Error('HTTP subject did not start')), START_TIMEOUT_MS);
        createInterface({ input: child.stdout }).on('line', (line) => {
          if (!line.startsWith('{')) return;
          const message = JSON.parse(line) as { type: string; port: number };
          if (message.type === 'ready') resolve(message.port);
        });
        child.once('exit', (code, signal) =>
          reject(new Error(`HTTP subject exited (${code ?? signal}): ${stderr.slice(-2000)}`)),
        );
      });
      const subject = new SubjectProcess(child, exited, port);
      child.stderr.on('data', (chunk: Buffer) => (subject.stderr += chunk.toString()));
      return subject;
    } catch (error) {
      child.kill('SIGKILL');
      await exited;
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  async stats(): Promise<HttpSubjectStats> {
    const response = await fetch(`${this.baseUrl}/bench/stats`);
    if (!response.ok) throw new Error(`GET /bench/stats: ${response.status}`);
    return (await response.json()) as HttpSubjectStats;
  }

  /** Errors the app printed (it logs errors only). */
  errorOutput(): string {
    return this.stderr.trim();
  }

  /** Ends its stdin (it closes the app and exits); kills it if it hasn't soon after. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.stdin.end();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await this.exited;
    clearTimeout(timer);
  }
}
