import type { HttpExchange } from './http-client';

export interface JournalEntry {
  request: string;
  instance: string;
  sentMs: number;
  receivedMs: number;
  status: number;
  xCache?: string;
  version?: number;
  reviews?: number;
}

/**
 * Every request that named a product, per product, so a stale read can be explained by
 * what happened to that product around it (written to findings.json).
 */
export class RequestJournal {
  private readonly byProduct = new Map<number, JournalEntry[]>();

  record(id: number, request: string, instance: string, exchange: HttpExchange): void {
    const body = exchange.body as { version?: unknown; rating?: { count?: unknown } } | undefined;
    const entry: JournalEntry = {
      request,
      instance,
      sentMs: round(exchange.sent.ms),
      receivedMs: round(exchange.received.ms),
      status: exchange.status,
      xCache: exchange.xCache,
      version: typeof body?.version === 'number' ? body.version : undefined,
      reviews: typeof body?.rating?.count === 'number' ? body.rating.count : undefined,
    };
    let entries = this.byProduct.get(id);
    if (!entries) this.byProduct.set(id, (entries = []));
    entries.push(entry);
  }

  /** The product's requests that overlap [fromMs, toMs]. */
  around(id: number, fromMs: number, toMs: number): JournalEntry[] {
    return (this.byProduct.get(id) ?? []).filter(
      (entry) => entry.receivedMs >= fromMs && entry.sentMs <= toMs,
    );
  }
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}
