import type { CacheStore, LeaseReply, ReadOrLeaseRequest } from '../interfaces';
import type { CacheKeyLayout } from './cache-key-layout';
import { withTimeout } from './command-timeout';
import type { CacheRedisClient } from './redis-connection';

/** The read path's store on Redis: every call bounded by the command timeout. */
export class RedisCacheStore implements CacheStore {
  readonly channel: string;
  private readonly settledListeners: Array<(key: string) => void> = [];
  /** Test-only: fill without the lease check, to show the stale-set race it prevents. */
  unsafeSkipLeaseCheck = false;

  constructor(
    private readonly client: CacheRedisClient,
    private readonly layout: CacheKeyLayout,
    private readonly timeoutMs: number,
  ) {
    this.channel = layout.channel;
  }

  read(key: string): Promise<string | null> {
    return withTimeout(this.client.get(this.layout.value(key)), this.timeoutMs, 'GET');
  }

  async readOrLease(key: string, request: ReadOrLeaseRequest): Promise<LeaseReply> {
    const [state, entry, detail] = (await withTimeout(
      this.client.readOrLease(
        this.layout.value(key),
        this.layout.lease(key),
        this.layout.failure(key),
        request.token,
        request.leaseTtlMs,
        request.nowMs,
        request.refreshFreshUntil === undefined ? '0' : String(request.refreshFreshUntil),
        request.waitingSinceMs ?? 0,
        request.mayServeStale ? '1' : '0',
      ),
      this.timeoutMs,
      'read-or-lease',
    )) as [string, string | null, number | string];
    switch (state) {
      case 'HELD':
        return { state, entry, leaseTtlMs: Number(detail) };
      case 'FAILED':
        return { state, entry, failure: String(detail) };
      case 'BACKOFF':
        return { state, entry: entry as string };
      case 'FRESH':
      case 'GRANTED':
        return { state, entry };
      default:
        throw new Error(`read-or-lease returned an unknown state '${state}'`);
    }
  }

  async fill(key: string, token: string, entry: string, ttlMs: number): Promise<boolean> {
    const written = await withTimeout(
      this.client.fillIfLeased(
        this.layout.value(key),
        this.layout.lease(key),
        this.layout.failure(key),
        token,
        entry,
        ttlMs,
        this.layout.channel,
        key,
        this.unsafeSkipLeaseCheck ? '1' : '0',
      ),
      this.timeoutMs,
      'fill',
    );
    return written === 1;
  }

  async release(
    key: string,
    token: string,
    failure?: { record: string; ttlMs: number },
  ): Promise<void> {
    await withTimeout(
      this.client.releaseLease(
        this.layout.lease(key),
        this.layout.failure(key),
        token,
        this.layout.channel,
        key,
        failure?.ttlMs ?? 0,
        failure?.record ?? '',
      ),
      this.timeoutMs,
      'release-lease',
    );
  }

  async extendLease(key: string, token: string, leaseTtlMs: number): Promise<boolean> {
    const extended = await withTimeout(
      this.client.extendLease(this.layout.lease(key), token, leaseTtlMs),
      this.timeoutMs,
      'extend-lease',
    );
    return extended === 1;
  }

  async write(key: string, entry: string, ttlMs: number): Promise<void> {
    await withTimeout(
      this.client.writeEntry(
        this.layout.value(key),
        this.layout.lease(key),
        this.layout.failure(key),
        entry,
        ttlMs,
        this.layout.channel,
        key,
      ),
      this.timeoutMs,
      'write',
    );
  }

  async evict(keys: string[]): Promise<void> {
    // One DEL per logical key: its three keys share a hash slot, different keys may not.
    await withTimeout(
      Promise.all(
        keys.map((key) =>
          this.client.del([
            this.layout.value(key),
            this.layout.lease(key),
            this.layout.failure(key),
          ]),
        ),
      ),
      this.timeoutMs,
      'DEL',
    );
  }

  ttlMs(key: string): Promise<number> {
    return withTimeout(this.client.pTTL(this.layout.value(key)), this.timeoutMs, 'PTTL');
  }

  onSettled(listener: (key: string) => void): void {
    this.settledListeners.push(listener);
  }

  /** Fed by the subscriber connection with the keys of settled loads. */
  notifySettled(key: string): void {
    for (const listener of this.settledListeners) listener(key);
  }
}
