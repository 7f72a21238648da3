/**
 * Concurrent calls for one key in one process share one execution: one Redis
 * round trip on a hit, one loader run on a miss.
 */
export class SingleFlight<T> {
  private readonly flights = new Map<string, Promise<T>>();

  /** The execution under way for `key`, if any: a caller joins it (or checks what it joined). */
  joining(key: string): Promise<T> | undefined {
    return this.flights.get(key);
  }

  /** Registers `execution` as the one for `key` until it settles; call it when {@link joining} found none. */
  start(key: string, execution: Promise<T>): Promise<T> {
    const flight = execution.finally(() => {
      if (this.flights.get(key) === flight) this.flights.delete(key);
    });
    this.flights.set(key, flight);
    return flight;
  }

  /**
   * Calls from now on start a new execution; the detached one finishes for the callers
   * it already has. After an eviction: a flight that began before it may return the
   * old value, and nobody who asks after the eviction may join it.
   */
  detach(key: string): void {
    this.flights.delete(key);
  }

  detachAll(): void {
    this.flights.clear();
  }

  get size(): number {
    return this.flights.size;
  }
}
