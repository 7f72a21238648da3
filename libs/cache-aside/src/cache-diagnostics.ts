import { Logger } from '@nestjs/common';
import { FailureLog } from './failure-log';
import type { CacheTelemetry } from './observability/cache-telemetry';
import type { CacheEventName, RedisFailureInfo } from './interfaces';
import { CacheCounters } from './read-path/cache-counters';
import {
  failureMessage,
  redisFailureKind,
  WRITING_OPERATIONS,
  type RedisFailureKind,
} from './redis/redis-failure';

/**
 * The counters, the Redis failure state and the log every part of the cache reports to.
 * Redis failures are logged by kind with a rate limit (FailureLog); other warnings once
 * per id.
 */
export class CacheDiagnostics {
  readonly counters = new CacheCounters();
  readonly logger = new Logger('CacheAside');
  private readonly failures = new FailureLog(this.logger);
  private readonly loggedOnce = new Set<string>();
  /** The last Redis failure. */
  lastRedisError: RedisFailureInfo | null = null;
  /** When the current run of failures began (null once a call succeeds). */
  redisFailingSince: number | null = null;
  /** When Redis began refusing writes (null once a write succeeds). */
  writesRefusedSince: number | null = null;
  private readonly failureListeners: Array<(kind: RedisFailureKind) => void> = [];

  constructor(readonly telemetry: CacheTelemetry) {}

  count(counter: CacheEventName, key = ''): void {
    this.counters.count(counter, key);
    this.telemetry.event(counter, key);
  }

  redisFailed(operation: string, error: unknown): void {
    this.count('redisErrors', operation);
    const now = Date.now();
    const kind = redisFailureKind(error);
    const message = failureMessage(error);
    this.lastRedisError = { kind, operation, message, atMs: now };
    this.redisFailingSince ??= now;
    if (kind === 'writes-refused') this.writesRefusedSince ??= now;
    this.failures.report(kind, operation, `Redis ${operation} failed (${kind}): ${message}`);
    for (const listener of this.failureListeners) listener(kind);
  }

  /** Told of every Redis call that failed, with how it failed. */
  onRedisFailed(listener: (kind: RedisFailureKind) => void): void {
    this.failureListeners.push(listener);
  }

  /** A Redis call succeeded: not failing any more; a writing one shows writes are taken again. */
  redisAnswered(operation: string): void {
    this.redisFailingSince = null;
    if (this.writesRefusedSince !== null && WRITING_OPERATIONS.has(operation)) {
      this.writesRefusedSince = null;
    }
  }

  logOnce(id: string, message: string): void {
    if (this.loggedOnce.has(id)) return;
    if (this.loggedOnce.size > 10_000) this.loggedOnce.clear();
    this.loggedOnce.add(id);
    this.logger.warn(message);
  }

  close(): void {
    this.failures.close();
  }
}
