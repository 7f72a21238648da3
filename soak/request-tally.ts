import type { HttpExchange } from './http-client';
import type { OperationKind } from './operation-mix';
import type { Instant } from './soak-clock';

export interface FailedRequest {
  request: string;
  instance: string;
  sent: Instant;
  received: Instant;
  /** The status, or the network error when no response came. */
  outcome: string;
}

/**
 * Counts of what the load generator sent and got back. A request failed when it got
 * anything but a 2xx or a 404 the model expects (a product deleted, or never created).
 */
export class RequestTally {
  total = 0;
  expected404 = 0;
  readonly byKind = new Map<OperationKind, number>();
  readonly byInstance = new Map<string, number>();
  readonly xCache = new Map<string, number>();
  readonly failed: FailedRequest[] = [];

  record(
    kind: OperationKind,
    request: string,
    instance: string,
    exchange: HttpExchange,
    verdict: 'ok' | 'expected-404' | 'failed',
  ): void {
    this.total += 1;
    increment(this.byKind, kind);
    increment(this.byInstance, instance);
    if (exchange.xCache) increment(this.xCache, exchange.xCache);
    if (verdict === 'expected-404') this.expected404 += 1;
    if (verdict === 'failed') {
      this.failed.push({
        request,
        instance,
        sent: exchange.sent,
        received: exchange.received,
        outcome: exchange.status
          ? `${exchange.status} ${JSON.stringify(exchange.body).slice(0, 200)}`
          : `no response: ${exchange.error}`,
      });
    }
  }
}

function increment<K>(map: Map<K, number>, key: K): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}
