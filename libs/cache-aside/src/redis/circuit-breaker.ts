import { Logger } from '@nestjs/common';

type BreakerState = 'closed' | 'open' | 'half-open';

/**
 * Stops calling a Redis that keeps failing: after `failureThreshold` failures in a
 * row the breaker opens and calls go straight to the loader (no timeout paid per
 * call); after `openMs` one probe call is let through (half-open), and its outcome
 * closes or re-opens the breaker. Transitions are logged once each.
 */
export class CircuitBreaker {
  private state: BreakerState = 'closed';
  private failures = 0;
  private openedAt = 0;
  private probing = false;
  private readonly listeners: Array<(state: BreakerState) => void> = [];

  constructor(
    private readonly failureThreshold: number,
    private readonly openMs: number,
    private readonly logger: Logger,
    private readonly where: string,
  ) {}

  /** Whether a call may go to Redis now (in half-open state: the one probe). */
  allow(): boolean {
    if (this.state === 'closed') return true;
    if (this.state === 'open' && Date.now() - this.openedAt >= this.openMs) {
      this.transition('half-open');
    }
    if (this.state === 'half-open' && !this.probing) {
      this.probing = true;
      return true;
    }
    return false;
  }

  succeeded(): void {
    this.failures = 0;
    this.probing = false;
    if (this.state !== 'closed') this.transition('closed');
  }

  failed(): void {
    this.probing = false;
    this.failures++;
    if (
      this.state === 'half-open' ||
      (this.state === 'closed' && this.failures >= this.failureThreshold)
    ) {
      this.openedAt = Date.now();
      this.transition('open');
    }
  }

  get isClosed(): boolean {
    return this.state === 'closed';
  }

  onChange(listener: (state: BreakerState) => void): void {
    this.listeners.push(listener);
  }

  private transition(next: BreakerState): void {
    const previous = this.state;
    this.state = next;
    if (next === 'open' && previous === 'closed') {
      this.logger.warn(
        `Redis at ${this.where} failed ${this.failures} times in a row: circuit open, serving from the loader`,
      );
    } else if (next === 'closed') {
      this.logger.log(`Redis at ${this.where} answers again: circuit closed, caching resumed`);
    }
    for (const listener of this.listeners) listener(next);
  }
}
