/**
 * A point in the load generator's own order of events. `seq` orders them exactly (the
 * generator is one process with one event loop): a read "began after a write's response"
 * when its request was sent with a higher `seq` than the one stamped when that response
 * had been received in full. `ms` is only for durations in the report.
 */
export interface Instant {
  seq: number;
  /** Milliseconds since the soak started (monotonic clock). */
  ms: number;
}

export class SoakClock {
  private seq = 0;
  private readonly origin = performance.now();

  now(): Instant {
    this.seq += 1;
    return { seq: this.seq, ms: performance.now() - this.origin };
  }
}
