import { ErrorReply } from 'redis';
import { redactSecrets } from './redact-redis-url';

/**
 * What kind of Redis failure a call met, for logs, `stats()` and health checks:
 * - `timeout`: no answer within `commandTimeoutMs`
 * - `unavailable`: not sent (circuit open, not connected, connection lost)
 * - `writes-refused`: Redis answers but refuses writes (OOM under `maxmemory` +
 *   `noeviction`, READONLY replica, MISCONF persistence error): reads may still hit,
 *   but nothing new is cached and evictions can't be applied
 * - `error`: another error reply
 */
export type RedisFailureKind = 'timeout' | 'unavailable' | 'writes-refused' | 'error';

const WRITE_REFUSALS = /^(OOM|READONLY|MISCONF|NOREPLICAS)\b/;

export function redisFailureKind(error: unknown): RedisFailureKind {
  const code = (error as { code?: string })?.code;
  if (code === 'CACHE_REDIS_TIMEOUT') return 'timeout';
  if (error instanceof ErrorReply) {
    return WRITE_REFUSALS.test(error.message) ? 'writes-refused' : 'error';
  }
  return 'unavailable';
}

/** An error's message fit for logs and stats: no password, bounded length. */
export function failureMessage(error: unknown): string {
  const message = (error as Error)?.message ?? String(error);
  return redactSecrets(message).slice(0, 300);
}

/**
 * Operations whose success shows Redis takes writes again: our scripts, which Redis
 * refuses before running them under OOM or on a replica (they carry no no-writes flag).
 * Not DEL: Redis lets it through under OOM, since it frees memory.
 */
export const WRITING_OPERATIONS: ReadonlySet<string> = new Set([
  'read-or-lease',
  'fill',
  'release-lease',
  'extend-lease',
  'write',
  'patch',
  'patch-json',
  'read-tag-sequence',
  'bump-tag-sequence',
  'invalidate-tag',
  'keep-tag',
]);
