import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';

/** Why a test that needs a Redis of its own can't run here, or null when it can. */
export function ownRedisUnavailableReason(): string | null {
  const probe = spawnSync('redis-server', ['--version'], { timeout: 3_000 });
  return probe.status === 0 ? null : 'redis-server is not on the PATH';
}

/** A port nothing listens on right now, for a server the test starts and restarts itself. */
export async function sparePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

/**
 * A throw-away redis-server on 127.0.0.1 (no persistence, so a restart starts empty) that a
 * test can SIGKILL and start again on the same port, to play an outage the shared Redis
 * must never suffer.
 */
export class OwnRedisServer {
  private child?: ChildProcess;

  constructor(readonly port: number) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(timeoutMs = 5_000): Promise<void> {
    const child = spawn(
      'redis-server',
      [
        '--port',
        String(this.port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--daemonize',
        'no',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.child = child;
    let output = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`redis-server on ${this.port} did not start: ${output}`)),
        timeoutMs,
      );
      child.stdout?.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('Ready to accept connections')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`redis-server on ${this.port} exited (${code ?? signal}): ${output}`));
      });
    });
  }

  /** SIGKILL: no goodbye to clients, like a crashed or OOM-killed server. */
  async kill(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
  }
}
