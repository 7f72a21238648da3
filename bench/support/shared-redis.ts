import { connect } from 'node:net';
import { OwnRedis } from '../../test/support/own-redis';

const DEFAULT_PORT = 6379;

/** Whether something accepts TCP connections on 127.0.0.1:port. */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.setTimeout(1_000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * The Redis the hit-path, stampede and HTTP parts share (REDIS_URL, default 127.0.0.1:6379).
 * When REDIS_URL is unset and nothing listens on 6379, starts a redis-server there (no
 * persistence) and returns a stop that ends exactly that process; otherwise a no-op.
 */
export async function ensureSharedRedis(
  log: (line: string) => void,
  port = DEFAULT_PORT,
): Promise<() => Promise<void>> {
  if (process.env.REDIS_URL || (await listening(port))) return async () => undefined;
  log(`no Redis on 127.0.0.1:${port}: starting a redis-server there for this run`);
  const server = await OwnRedis.start(port);
  return () => server.kill();
}
