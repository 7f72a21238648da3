import type { FaultWindow } from './fault-injector';
import type { HttpClient } from './http-client';
import type { Backend } from './load-generator';
import type { Instant, SoakClock } from './soak-clock';

const POLL_MS = 250;

export interface InstanceVitals {
  /** Redis calls that failed or timed out, summed over the process's lives. */
  redisErrors: number;
  /** The worst event-loop delay a scrape reported (prom-client's max since the last one). */
  maxEventLoopLagMs: number;
}

/**
 * Watches every instance's cache from outside, four times a second: the library's Redis
 * error counter (/metrics) and readiness (/health/ready). Redis calls fail without any
 * fault injected too (a call that misses the 50 ms deadline on a busy machine is a
 * failure: its eviction is queued and the other instance may read the old entry until
 * it is applied). Such a stretch is an observed fault window: from the scrape before the
 * counter moved until a round of scrapes finds it still and every cache up.
 */
export class CacheMonitor {
  readonly windows: FaultWindow[] = [];
  readonly vitals = new Map<string, InstanceVitals>();
  private running = false;
  private loop?: Promise<void>;

  constructor(
    private readonly clock: SoakClock,
    private readonly client: HttpClient,
    private readonly backends: Backend[],
  ) {}

  start(): void {
    this.running = true;
    this.loop = this.watch();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
    const open = this.windows.at(-1);
    if (open && !open.end) open.end = this.clock.now();
  }

  private async watch(): Promise<void> {
    const lastCount = new Map<string, number>();
    let previousRound: Instant | undefined;
    let open: FaultWindow | undefined;
    while (this.running) {
      const round = this.clock.now();
      let disturbed = false;
      for (const backend of this.backends) {
        const [metrics, health] = await Promise.all([
          this.client.send(backend.port, 'GET', '/metrics'),
          this.client.send(backend.port, 'GET', '/health/ready'),
        ]);
        if (metrics.status !== 200 || typeof metrics.body !== 'string') {
          disturbed = true;
          continue;
        }
        const errors = sampleSum(metrics.body, 'cache_aside_redis_errors_total');
        const lagMs = 1000 * sampleSum(metrics.body, 'nodejs_eventloop_lag_max_seconds');
        const vitals = this.vitals.get(backend.name) ?? { redisErrors: 0, maxEventLoopLagMs: 0 };
        const last = lastCount.get(backend.name);
        // A restarted process counts from 0 again.
        const added = last === undefined ? 0 : errors >= last ? errors - last : errors;
        if (added > 0) disturbed = true;
        vitals.redisErrors += added;
        vitals.maxEventLoopLagMs = Math.max(vitals.maxEventLoopLagMs, lagMs);
        this.vitals.set(backend.name, vitals);
        lastCount.set(backend.name, errors);
        const status = (health.body as { info?: { redis?: { status?: string } } } | undefined)?.info
          ?.redis?.status;
        if (status !== 'up') disturbed = true;
      }
      if (disturbed && !open) {
        open = { kind: 'observed', label: 'observed', start: previousRound ?? round };
        this.windows.push(open);
      } else if (!disturbed && open) {
        open.end = this.clock.now();
        open = undefined;
      }
      previousRound = round;
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }
}

/** The sum of a metric's samples (all label sets) in Prometheus text format. */
function sampleSum(text: string, name: string): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (rest[0] !== ' ' && rest[0] !== '{') continue;
    const value = Number(rest.slice(rest.lastIndexOf(' ') + 1));
    if (Number.isFinite(value)) sum += value;
  }
  return sum;
}
