import { Logger } from '@nestjs/common';
import type { CacheEventName } from './interfaces';
import { CacheCounters } from './read-path/cache-counters';

/** The counters and the log every part of the cache reports to. */
export class CacheDiagnostics {
  readonly counters = new CacheCounters();
  readonly logger = new Logger('CacheAside');
  private readonly loggedOnce = new Set<string>();

  count(counter: CacheEventName, key = ''): void {
    this.counters.count(counter, key);
  }

  redisFailed(operation: string, error: unknown): void {
    this.count('redisErrors', operation);
    this.logOnce(
      `redis:${operation}`,
      `Redis ${operation} failed: ${(error as Error)?.message ?? error}`,
    );
  }

  logOnce(id: string, message: string): void {
    if (this.loggedOnce.has(id)) return;
    if (this.loggedOnce.size > 10_000) this.loggedOnce.clear();
    this.loggedOnce.add(id);
    this.logger.warn(message);
  }
}
