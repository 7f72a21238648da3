import type { CacheStore, LeaseReply, ReadOrLeaseRequest } from '../interfaces';
import type { CacheKeyLayout } from './cache-key-layout';
import { withTimeout } from './command-timeout';
import type { CacheRedisClient } from './redis-connection';

/** Tag members are pruned this long after their entry expired: room for clock skew between app servers. */
const TAG_PRUNE_MARGIN_MS = 60_000;
const TAG_SEQUENCE_TTL_MS = 24 * 60 * 60 * 1000;

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

  async joinTags(tags: string[], key: string, expiresAtMs: number): Promise<void> {
    const pruneBefore = Date.now() - TAG_PRUNE_MARGIN_MS;
    await withTimeout(
      Promise.all(
        tags.map((tag) => this.client.joinTag(this.layout.tag(tag), key, expiresAtMs, pruneBefore)),
      ),
      this.timeoutMs,
      'join-tag',
    );
  }

  tagMembers(tag: string): Promise<string[]> {
    return withTimeout(this.client.zRange(this.layout.tag(tag), 0, -1), this.timeoutMs, 'ZRANGE');
  }

  async leaveTag(tag: string, keys: string[]): Promise<void> {
    if (keys.length === 0) return;
    await withTimeout(this.client.zRem(this.layout.tag(tag), keys), this.timeoutMs, 'ZREM');
  }

  async tagSequence(mode: 'read' | 'bump'): Promise<number> {
    const key = this.layout.tagSequence;
    if (mode === 'read') {
      return Number((await withTimeout(this.client.get(key), this.timeoutMs, 'GET')) ?? 0);
    }
    // Like every key we write, the sequence expires (a day after the last invalidation).
    const [value] = await withTimeout(
      this.client.multi().incr(key).pExpire(key, TAG_SEQUENCE_TTL_MS).exec(),
      this.timeoutMs,
      'INCR',
    );
    return Number(value);
  }

  onSettled(listener: (key: string) => void): void {
    this.settledListeners.push(listener);
  }

  /** Fed by the subscriber connection with the keys of settled loads. */
  notifySettled(key: string): void {
    for (const listener of this.settledListeners) listener(key);
  }
}
