import type { ProductView } from '../apps/catalog/src/products/dto/product-view.dto';
import type { CatalogModel } from './catalog-model';
import type { HttpClient, HttpExchange } from './http-client';
import { httpRequestOf, type Operation, type OperationMix } from './operation-mix';
import type { RequestJournal } from './request-journal';
import type { RequestTally } from './request-tally';
import type { Instant, SoakClock } from './soak-clock';
import type { StaleReadChecker } from './stale-read-checker';

/** An app instance as the load balancer sees it. */
export interface Backend {
  name: string;
  port: number;
  /** False while the instance is being restarted: no new requests go to it. */
  inRotation: boolean;
}

type Verdict = 'ok' | 'expected-404' | 'failed';

/**
 * Sends the operation mix to the instances in rotation (a random one per request, as a
 * load balancer would), at most `concurrency` at once and paced to `ratePerSecond`, then
 * hands every response to the model (writes) or the checker (reads). Runs in the soak's
 * own process, so the order of its events is the checker's clock.
 */
export class LoadGenerator {
  private running = false;
  private workers: Promise<void>[] = [];
  private nextSlotMs = 0;

  constructor(
    private readonly deps: {
      clock: SoakClock;
      client: HttpClient;
      backends: Backend[];
      mix: OperationMix;
      model: CatalogModel;
      checker: StaleReadChecker;
      tally: RequestTally;
      journal: RequestJournal;
      random: () => number;
    },
    private readonly pace: { ratePerSecond: number; concurrency: number },
  ) {}

  start(): void {
    this.running = true;
    this.nextSlotMs = performance.now();
    for (let i = 0; i < this.pace.concurrency; i++) this.workers.push(this.work());
  }

  /** Stops sending; resolves once every request in flight has come back. */
  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.workers);
  }

  private async work(): Promise<void> {
    while (this.running) {
      const now = performance.now();
      const slot = Math.max(now, this.nextSlotMs);
      this.nextSlotMs = slot + 1000 / this.pace.ratePerSecond;
      if (slot > now) await sleep(slot - now);
      const backends = this.deps.backends.filter((backend) => backend.inRotation);
      if (!this.running) break;
      if (backends.length === 0) {
        await sleep(50);
        continue;
      }
      // Each request of a group through the next instance, from a random one.
      const first = Math.floor(this.deps.random() * backends.length);
      await Promise.all(
        this.deps.mix
          .next()
          .map((operation, i) => this.execute(operation, backends[(first + i) % backends.length])),
      );
    }
  }

  private async execute(operation: Operation, backend: Backend): Promise<void> {
    const { clock, client, model, tally } = this.deps;
    const { method, path, payload } = httpRequestOf(operation);
    const record = 'id' in operation ? model.get(operation.id) : undefined;
    const membership = record && (operation.kind === 'put' || operation.kind === 'delete');
    // Stamped before the request leaves: another request sent later sees this write as sent.
    const intent = clock.now();
    if (membership) model.membershipWriteSent(record, intent, operation.kind === 'delete');

    const exchange = await client.send(backend.port, method, path, payload);

    if (membership) {
      const answered = exchange.status >= 200 && exchange.status < 500;
      model.membershipWriteEnded(record, exchange.received, answered);
    }
    const verdict = this.judge(operation, backend, exchange, intent);
    tally.record(operation.kind, `${method} ${path}`, backend.name, exchange, verdict);
    const id = 'id' in operation ? operation.id : (exchange.body as { id?: unknown })?.id;
    if (typeof id === 'number') {
      // A PATCH's fields tell which of a racing pair did what.
      const fields = operation.kind === 'patch' ? ` ${JSON.stringify(payload)}` : '';
      this.deps.journal.record(id, `${method} ${path}${fields}`, backend.name, exchange);
    }
  }

  private judge(
    operation: Operation,
    backend: Backend,
    exchange: HttpExchange,
    intent: Instant,
  ): Verdict {
    const { model, checker } = this.deps;
    const { status, sent, received } = exchange;
    const from = `${operation.kind.toUpperCase()} via ${backend.name}`;
    if (operation.kind === 'read-product') {
      const verdict = checker.checkProductRead(operation.id, backend.name, exchange);
      if (verdict === 'unexpected') return 'failed';
      return status === 200 ? 'ok' : status === 404 ? 'expected-404' : 'failed';
    }
    if (operation.kind === 'read-page') {
      checker.checkPageRead(operation, backend.name, exchange);
      return status === 200 ? 'ok' : 'failed';
    }
    if (operation.kind === 'create') {
      if (status !== 201) return 'failed';
      model.acknowledgeView(exchange.body as ProductView, sent, received, from);
      return 'ok';
    }
    const record = model.get(operation.id)!;
    if (status === 404) {
      // Expected only when another DELETE of it had been sent before this request ended.
      const deleteSent = record.deleteSent;
      const before = operation.kind === 'delete' ? intent.seq : received.seq;
      return deleteSent && deleteSent.seq < before ? 'expected-404' : 'failed';
    }
    switch (operation.kind) {
      case 'patch':
      case 'put':
        if (status !== 200) return 'failed';
        model.acknowledgeView(exchange.body as ProductView, sent, received, from);
        return 'ok';
      case 'delete':
        if (status !== 204) return 'failed';
        model.acknowledgeDelete(record, received);
        return 'ok';
      case 'review':
        if (status !== 201) return 'failed';
        model.acknowledgeReview(record, received);
        return 'ok';
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
