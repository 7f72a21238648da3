import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { createClient } from 'redis';

/** A free loopback port (the OS picks it; we release it for redis-server to bind). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * A redis-server of the test's own on a spare loopback port, so the test can
 * kill, freeze and restart it without touching the shared one.
 */
export class OwnRedis {
  private process?: ChildProcess;

  private constructor(
    readonly port: number,
    private readonly tls?: { cert: string; key: string },
  ) {}

  static async start(port?: number): Promise<OwnRedis> {
    const redis = new OwnRedis(port ?? (await freePort()));
    await redis.start();
    return redis;
  }

  /** A TLS-only server (no plain port) with the given certificate files. */
  static async startTls(tls: { cert: string; key: string }): Promise<OwnRedis> {
    const redis = new OwnRedis(await freePort(), tls);
    await redis.start();
    return redis;
  }

  get url(): string {
    return `${this.tls ? 'rediss' : 'redis'}://127.0.0.1:${this.port}`;
  }

  private get portArguments(): string[] {
    if (!this.tls) return ['--port', String(this.port)];
    return [
      ...['--port', '0', '--tls-port', String(this.port), '--tls-auth-clients', 'no'],
      ...['--tls-cert-file', this.tls.cert, '--tls-key-file', this.tls.key],
      ...['--tls-ca-cert-file', this.tls.cert],
    ];
  }

  async start(): Promise<void> {
    this.process = spawn(
      'redis-server',
      [...this.portArguments, '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: 'ignore' },
    );
    for (let i = 0; i < 100; i++) {
      const client = createClient({
        url: this.url,
        socket: this.tls
          ? { reconnectStrategy: false, tls: true, ca: readFileSync(this.tls.cert) }
          : { reconnectStrategy: false },
      });
      client.on('error', () => undefined);
      try {
        await client.connect();
        await client.ping();
        client.destroy();
        return;
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    throw new Error(`redis-server did not start on port ${this.port}`);
  }

  freeze(): void {
    this.process?.kill('SIGSTOP');
  }

  thaw(): void {
    this.process?.kill('SIGCONT');
  }

  async kill(): Promise<void> {
    const child = this.process;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGCONT');
    child.kill('SIGKILL');
    await exited;
  }
}
