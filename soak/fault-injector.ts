import type { OwnRedis } from '../test/support/own-redis';
import { waitForHealthyCaches } from './cache-health';
import type { CatalogProcess } from './catalog-process';
import type { FaultKind, PlannedFault } from './fault-schedule';
import type { HttpClient } from './http-client';
import type { Backend } from './load-generator';
import type { Instant, SoakClock } from './soak-clock';

/** Redis stays dead this long before it is started again (empty: it persists nothing). */
const KILLED_MS = 1_000;
/** Redis stays frozen this long: well past the 50 ms command timeout, so the breaker opens. */
const FROZEN_MS = 3_000;
const RECOVERY_TIMEOUT_MS = 60_000;

/**
 * A fault window: from the moment the fault is injected until every instance's cache is
 * healthy again (Redis answers, failed evictions applied). Requests overlapping one are
 * "inside"; only there may reads be stale and requests fail.
 */
export interface FaultWindow {
  /** 'observed': Redis calls failed while no fault was being injected (see CacheMonitor). */
  kind: FaultKind | 'observed';
  label: string;
  start: Instant;
  /** When the fault was undone: Redis started again or thawed, the instance back in rotation. */
  undone?: Instant;
  /** Undefined when caching never recovered. */
  end?: Instant;
  error?: string;
}

export function overlapsWindow(
  windows: FaultWindow[],
  sent: Instant,
  received: Instant,
): FaultWindow | undefined {
  return windows.find(
    (window) => sent.seq < (window.end?.seq ?? Infinity) && received.seq > window.start.seq,
  );
}

/** Injects the planned faults at their times, one at a time, and records their windows. */
export class FaultInjector {
  readonly windows: FaultWindow[] = [];
  private stopped = false;
  private restarts = 0;

  constructor(
    private readonly deps: {
      clock: SoakClock;
      client: HttpClient;
      redis: OwnRedis;
      backends: Backend[];
      processes: Map<string, CatalogProcess>;
      log: (line: string) => void;
    },
  ) {}

  /** Runs the plan from `loadStartedMs` (performance.now()); resolves after the last window. */
  async run(plan: PlannedFault[], loadStartedMs: number): Promise<void> {
    for (const fault of plan) {
      const wait = loadStartedMs + fault.atMs - performance.now();
      if (wait > 0) await this.sleep(wait);
      if (this.stopped) return;
      await this.inject(fault.kind);
    }
  }

  /** No new fault after this (the one in progress finishes). */
  stop(): void {
    this.stopped = true;
    this.wake?.();
  }

  private async inject(kind: FaultKind): Promise<void> {
    const { clock, client, redis, backends, log } = this.deps;
    const window: FaultWindow = { kind, label: kind, start: clock.now() };
    this.windows.push(window);
    try {
      if (kind === 'redis-kill') {
        await redis.kill();
        await delay(KILLED_MS);
        await redis.start();
      } else if (kind === 'redis-freeze') {
        redis.freeze();
        await delay(FROZEN_MS);
        redis.thaw();
      } else {
        const backend = backends[backends.length - 1 - (this.restarts++ % backends.length)];
        window.label = `app-restart (${backend.name})`;
        backend.inRotation = false;
        await this.deps.processes.get(backend.name)!.restart();
        backend.inRotation = true;
      }
      window.undone = clock.now();
      window.end = await waitForHealthyCaches(client, clock, backends, RECOVERY_TIMEOUT_MS);
      log(
        `  ${window.label}: caching healthy again ${((window.end.ms - window.start.ms) / 1000).toFixed(1)} s after the fault`,
      );
    } catch (error) {
      window.error = error instanceof Error ? error.message : String(error);
      log(`  ${window.label}: ${window.error}`);
      for (const backend of backends) backend.inRotation = true;
    }
  }

  private wake?: () => void;

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
