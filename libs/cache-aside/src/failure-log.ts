import type { Logger } from '@nestjs/common';

/** A failure kind's log lines: at most one per this many ms, with a count of the rest. */
export const FAILURE_LOG_INTERVAL_MS = 10_000;

interface Window {
  startedMs: number;
  suppressed: number;
  operations: Set<string>;
  timer?: NodeJS.Timeout;
}

/**
 * Logs failures keyed on their kind: the first at once, then at most one line per
 * interval saying how many more happened and in which operations. A failure that
 * keeps happening stays visible (once per interval, for as long as it lasts) without
 * a line per request; a new kind is logged at once.
 */
export class FailureLog {
  private readonly windows = new Map<string, Window>();

  constructor(
    private readonly logger: Pick<Logger, 'warn'>,
    private readonly intervalMs = FAILURE_LOG_INTERVAL_MS,
  ) {}

  report(kind: string, operation: string, message: string): void {
    const now = Date.now();
    const window = this.windows.get(kind);
    if (window && now - window.startedMs < this.intervalMs) {
      window.suppressed++;
      window.operations.add(operation);
      window.timer ??= setTimeout(() => this.flush(kind), window.startedMs + this.intervalMs - now);
      window.timer.unref?.();
      return;
    }
    if (window) this.flush(kind);
    this.windows.set(kind, { startedMs: now, suppressed: 0, operations: new Set() });
    this.logger.warn(message);
  }

  /** The summary of a window: how many more failures of the kind it swallowed. */
  private flush(kind: string): void {
    const window = this.windows.get(kind);
    if (!window) return;
    clearTimeout(window.timer);
    this.windows.delete(kind);
    if (window.suppressed === 0) return;
    const seconds = Math.round((Date.now() - window.startedMs) / 1000);
    this.logger.warn(
      `Redis ${kind}: ${window.suppressed} more failure(s) in the last ${seconds} s (${[...window.operations].join(', ')})`,
    );
  }

  close(): void {
    for (const window of this.windows.values()) clearTimeout(window.timer);
    this.windows.clear();
  }
}
