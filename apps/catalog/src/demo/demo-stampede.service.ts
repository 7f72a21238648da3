import { Injectable } from '@nestjs/common';
import { CacheAsideService, type CacheEventName, type CacheStatus } from 'nest-cache-aside';
import { QueryCounter } from '../database/query-counter';
import type { ProductView } from '../products/dto/product-view.dto';
import { productKey } from '../products/product-cache.keys';
import { ProductsService } from '../products/products.service';
import { summarizeLatencies, type LatencySummary } from './latency-summary';
import { StampedeRunningException } from './stampede-running.exception';

export interface StampedeResult {
  id: number;
  /** The logical cache key the burst hit (`product:<id>`). */
  key: string;
  reads: number;
  protection: boolean;
  /** Whether Redis took the eviction that started the burst. */
  evicted: boolean;
  /** Loader runs for this key during the burst: the database reads the cache let through. */
  databaseLoads: number;
  /** SELECT statements the app sent during the burst (all keys, so other traffic adds to it). */
  sqlSelects: number;
  /**
   * How the reads were served, from the library's status events during the burst (those
   * carry no key, so a read of another key at the same moment would count too).
   */
  statuses: Record<CacheStatus, number>;
  /**
   * Reads that waited on another caller's Redis lease (another process's load, usually;
   * reads in this process share one load through the single flight without waiting here).
   */
  leaseWaits: number;
  /**
   * Redis calls that failed during the burst (any key). Unprotected loads on SQLite, whose
   * driver is synchronous, can block the event loop past the command timeout.
   */
  redisErrors: number;
  /** Wall time of the whole burst. */
  durationMs: number;
  latency: LatencySummary;
}

const STATUS_EVENTS: Record<CacheStatus, CacheEventName> = {
  HIT: 'hits',
  MISS: 'misses',
  STALE: 'staleServed',
  BYPASS: 'bypasses',
};

/**
 * The demo page's stampede: evict a product's entry, then fire N concurrent reads at it in
 * this process and count how many reached the database. With protection the reads go
 * through ProductsService.findViewOrNull, the very path of GET /products/:id (decorator,
 * single flight, Redis lease); without, through CacheAsideService.getOrLoadWithStatus with
 * the same key and loader and `stampedeProtection: false`, for that run only.
 *
 * One run at a time per instance: an unprotected run of the largest N is that many database
 * loads at once, and a few of them side by side slowed every other read of the instance.
 */
@Injectable()
export class DemoStampedeService {
  private running = false;

  constructor(
    private readonly cache: CacheAsideService,
    private readonly products: ProductsService,
    private readonly queries: QueryCounter,
  ) {}

  /**
   * @throws StampedeRunningException while another run is in progress on this instance
   * @throws NotFoundException for an unknown product (checked before the burst)
   */
  async run(id: number, reads: number, protection: boolean): Promise<StampedeResult> {
    if (this.running) throw new StampedeRunningException();
    this.running = true;
    try {
      return await this.burst(id, reads, protection);
    } finally {
      this.running = false;
    }
  }

  private async burst(id: number, reads: number, protection: boolean): Promise<StampedeResult> {
    await this.products.findView(id);
    const key = productKey(id);
    const evicted = await this.cache.del(key);

    const counts = {
      loads: 0,
      leaseWaits: 0,
      redisErrors: 0,
      HIT: 0,
      MISS: 0,
      STALE: 0,
      BYPASS: 0,
    };
    const unsubscribe = [
      this.cache.on('redisErrors', () => counts.redisErrors++),
      this.countEvents('loads', key, () => counts.loads++),
      this.countEvents('leaseWaits', key, () => counts.leaseWaits++),
      ...(Object.keys(STATUS_EVENTS) as CacheStatus[]).map((status) =>
        this.cache.on(STATUS_EVENTS[status], () => counts[status]++),
      ),
    ];
    const selectsBefore = this.queries.byOperation().select;
    const started = performance.now();
    let latencies: number[];
    try {
      latencies = await Promise.all(
        Array.from({ length: reads }, () => this.timedRead(id, protection)),
      );
    } finally {
      for (const off of unsubscribe) off();
    }
    const durationMs = performance.now() - started;
    const sqlSelects = this.queries.byOperation().select - selectsBefore;
    // The unprotected reads filled the entry by their own means; drop it, so the next read
    // loads it through the products service as usual.
    if (!protection) await this.cache.del(key);

    return {
      id,
      key,
      reads,
      protection,
      evicted,
      databaseLoads: counts.loads,
      sqlSelects,
      statuses: { HIT: counts.HIT, MISS: counts.MISS, STALE: counts.STALE, BYPASS: counts.BYPASS },
      leaseWaits: counts.leaseWaits,
      redisErrors: counts.redisErrors,
      durationMs: Math.round(durationMs * 100) / 100,
      latency: summarizeLatencies(latencies),
    };
  }

  private async timedRead(id: number, protection: boolean): Promise<number> {
    const started = performance.now();
    if (protection) {
      await this.products.findViewOrNull(id);
    } else {
      await this.cache.getOrLoadWithStatus(productKey(id), () => this.loadView(id), {
        stampedeProtection: false,
      });
    }
    return performance.now() - started;
  }

  /** The products service's own loader (what findViewOrNull runs on a miss). */
  private loadView(id: number): Promise<ProductView | null> {
    return this.products.loadView(id);
  }

  private countEvents(event: CacheEventName, key: string, count: () => void): () => void {
    return this.cache.on(event, (eventKey) => {
      if (eventKey === key) count();
    });
  }
}
