import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';
import { CacheAsideService } from 'nest-cache-aside';
import { registerCacheMetrics } from 'nest-cache-aside/prometheus';
import { QueryCounter, type QueryOperation } from '../database/query-counter';

/**
 * Owns the Prometheus registry. A registry per app instance (not prom-client's global one)
 * lets several apps live in one process, as the e2e tests do.
 */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();

  readonly httpRequestDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request latency by route template',
    labelNames: ['method', 'route', 'status_code'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });

  constructor(queryCounter: QueryCounter, cache: CacheAsideService) {
    collectDefaultMetrics({ register: this.registry });
    // QueryCounter stays the single source of truth; the metric copies it at scrape time.
    new Counter({
      name: 'catalog_db_queries_total',
      help: 'SQL statements sent to the database, by leading keyword',
      labelNames: ['operation'],
      registers: [this.registry],
      collect() {
        this.reset();
        const counts = queryCounter.byOperation();
        for (const operation of Object.keys(counts) as QueryOperation[]) {
          this.inc({ operation }, counts[operation]);
        }
      },
    });
    // The cache's counters (cache_aside_reads_total{result}, cache_aside_loads_total, ...),
    // read from its stats() at scrape time too: hits against catalog_db_queries_total shows
    // what the cache saves.
    registerCacheMetrics(cache, { registry: this.registry });
  }

  metrics(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
