import { Agent, request } from 'node:http';
import type { Instant, SoakClock } from './soak-clock';

export interface HttpExchange {
  /** Stamped just before the request is handed to the socket. */
  sent: Instant;
  /** Stamped once the whole response body has arrived (or the request failed). */
  received: Instant;
  /** 0 when no HTTP response came back (refused, reset, timed out). */
  status: number;
  /** The X-Cache header, as `HIT (near)` when Cache-Status says the near cache answered. */
  xCache?: string;
  /** The parsed JSON body, if any. */
  body?: unknown;
  /** Why there is no response. */
  error?: string;
}

const TIMEOUT_MS = 10_000;

/**
 * Keep-alive HTTP/1.1 to the loopback instances, with node:http rather than fetch: fewer
 * layers between the timestamps and the socket, and less CPU on a shared machine.
 */
export class HttpClient {
  // Idle sockets are dropped after 2 s, well before the server's 5 s keep-alive timeout:
  // otherwise a request can go out on a socket the server is closing (ECONNRESET).
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 64, timeout: 2_000 });

  constructor(private readonly clock: SoakClock) {}

  send(port: number, method: string, path: string, payload?: unknown): Promise<HttpExchange> {
    const data = payload === undefined ? undefined : JSON.stringify(payload);
    return new Promise((resolve) => {
      const sent = this.clock.now();
      const fail = (error: Error) =>
        resolve({ sent, received: this.clock.now(), status: 0, error: error.message });
      const req = request(
        {
          host: '127.0.0.1',
          port,
          method,
          path,
          agent: this.agent,
          timeout: TIMEOUT_MS,
          headers: data
            ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) }
            : undefined,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('error', fail);
          res.on('end', () => {
            const received = this.clock.now();
            const text = Buffer.concat(chunks).toString();
            let body: unknown;
            try {
              body = text ? JSON.parse(text) : undefined;
            } catch {
              body = text;
            }
            const xCache = res.headers['x-cache'];
            const near = res.headers['cache-status']?.includes('detail=near') ?? false;
            resolve({
              sent,
              received,
              status: res.statusCode ?? 0,
              xCache: typeof xCache === 'string' ? `${xCache}${near ? ' (near)' : ''}` : undefined,
              body,
            });
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error(`no response within ${TIMEOUT_MS} ms`)));
      req.on('error', fail);
      req.end(data);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
