import { ErrorReply } from 'redis';
import type {
  CacheStore,
  LeaseReply,
  PatchOutcome,
  PatchVersion,
  ReadOrLeaseRequest,
  StoreChangeListener,
} from '../interfaces';
import type { ChangeFeed } from './invalidation-tracker';
import { HEADER_FIELD, type CacheStorage, type StoredEntry } from '../serialization/cache-entry';
import { JsonDocumentEntry, type JsonPathChange } from '../serialization/json-document';
import type { CacheKeyLayout } from './cache-key-layout';
import { cacheStatusContext } from '../cache-status.context';
import { CacheRedisUnavailableError } from '../errors/cache-redis-unavailable.error';
import type { CircuitBreaker } from './circuit-breaker';
import { CommandDeadlines } from './command-deadlines';
import type { CacheRedisCommands } from './connection-support';

/** Script arguments for an entry: its storage, then the string, the field/value pairs or the document. */
function entryArguments(entry: StoredEntry): [CacheStorage, ...string[]] {
  if (typeof entry === 'string') return ['string', entry];
  if (entry instanceof JsonDocumentEntry) return ['json', entry.text];
  // A plain loop: Object.entries(...).flat() was a tenth of a hash miss's CPU.
  const args: [CacheStorage, ...string[]] = ['hash'];
  for (const field in entry) args.push(field, entry[field]);
  return args;
}

/**
 * Scripts return a hash as a flat field/value list and a JSON document as its text (a
 * string entry starts with its format version, a document with '{').
 */
function toStoredEntry(raw: string | string[] | null): StoredEntry | null {
  if (raw === null) return null;
  if (typeof raw === 'string') return raw.startsWith('{') ? jsonDocumentOf(raw) : raw;
  const fields: Record<string, string> = {};
  for (let i = 0; i + 1 < raw.length; i += 2) fields[raw[i]] = raw[i + 1];
  return fields;
}

function patchOutcomeOf(scriptReply: number): PatchOutcome {
  return scriptReply === 1 ? 'patched' : scriptReply === 2 ? 'evicted' : 'absent';
}

function jsonDocumentOf(text: string): JsonDocumentEntry {
  try {
    return new JsonDocumentEntry(JSON.parse(text));
  } catch {
    return new JsonDocumentEntry(undefined); // decoding reports it as a corrupt entry
  }
}

const TAG_SEQUENCE_TTL_MS = 24 * 60 * 60 * 1000;
/**
 * A tag's version lives at least this long after an invalidation, for the loads in flight
 * when it happened: they stretch it over their entries when they fill, and a load older
 * than MAX_TAGGED_LOAD_AGE_MS (half of this) doesn't fill at all.
 */
export const TAG_VERSION_FLOOR_MS = 10 * 60 * 1000;

/** The read path's store on Redis: every call bounded by the command timeout. */
export class RedisCacheStore implements CacheStore {
  readonly channel: string;
  private readonly deadlines: CommandDeadlines;
  private readonly settledListeners: Array<(key: string) => void> = [];
  private readonly healthyListeners: Array<(operation: string) => void> = [];
  /** Test-only: fill without the lease check, to show the stale-set race it prevents. */
  unsafeSkipLeaseCheck = false;
  /** Whether the server has RedisJSON: undefined until the first connection tells. */
  private jsonModule: boolean | undefined;

  constructor(
    private readonly client: CacheRedisCommands,
    private readonly layout: CacheKeyLayout,
    timeoutMs: number,
    private readonly breaker: CircuitBreaker,
  ) {
    this.channel = layout.channel;
    this.deadlines = new CommandDeadlines(timeoutMs);
  }

  /**
   * Every Redis call: refused at once while the circuit is open, bounded by our own
   * timeout, and counted by the breaker. Reply errors (WRONGTYPE...) are Redis
   * answering, so they don't count as failures. `late` gets a result that arrived
   * after the caller was told the call timed out (a frozen server thawed, or a
   * Sentinel client that held the call until it found the promoted master).
   */
  private call<T>(
    operation: string,
    command: () => Promise<T>,
    late?: (result: T) => void,
  ): Promise<T> {
    if (!this.breaker.allow()) return Promise.reject(new CacheRedisUnavailableError(operation));
    const request = cacheStatusContext.active();
    const started = request ? performance.now() : 0;
    return new Promise<T>((resolve, reject) => {
      const pending = this.deadlines.start(operation, (timeout) => {
        this.breaker.failed();
        reject(timeout);
      });
      command().then(
        (result) => {
          if (!this.deadlines.finish(pending)) {
            late?.(result);
            return;
          }
          if (request) request.redisMs += performance.now() - started;
          this.breaker.succeeded();
          resolve(result);
          this.healthy(operation);
        },
        (error: Error) => {
          if (!this.deadlines.finish(pending)) return;
          if (error instanceof ErrorReply) this.breaker.succeeded();
          else this.breaker.failed();
          reject(error);
        },
      );
    });
  }

  read(key: string, storage: CacheStorage): Promise<StoredEntry | null> {
    switch (storage) {
      case 'hash':
        return this.readHash(key);
      case 'json':
        return this.readJson(key);
      default:
        return this.call('GET', () => this.client.get(this.layout.value(key)));
    }
  }

  private async readJson(key: string): Promise<StoredEntry | null> {
    const document = await this.call('JSON.GET', () =>
      this.client.json.get(this.layout.value(key)),
    );
    return document === null ? null : new JsonDocumentEntry(document);
  }

  supportsJson(): boolean | undefined {
    return this.jsonModule;
  }

  /**
   * Asks the server for RedisJSON: JSON.GET of a key we never write answers null (or
   * WRONGTYPE) with the module, "unknown command" without it. Done on every (re)connect:
   * a failover may land on a server without the module.
   */
  async detectJsonModule(): Promise<boolean | undefined> {
    try {
      await this.call('JSON.GET', () => this.client.json.get(this.layout.jsonProbe));
      this.jsonModule = true;
    } catch (error) {
      const message = (error as Error)?.message ?? '';
      if (message.startsWith('WRONGTYPE')) this.jsonModule = true;
      else if (error instanceof ErrorReply) this.jsonModule = false;
      // a timeout or a lost connection says nothing: keep what we knew
    }
    return this.jsonModule;
  }

  private async readHash(key: string): Promise<StoredEntry | null> {
    const fields = await this.call('HGETALL', () => this.client.hGetAll(this.layout.value(key)));
    return Object.keys(fields).length > 0 ? fields : null;
  }

  async readFields(key: string, fields: string[]): Promise<Record<string, string> | null> {
    const names = [HEADER_FIELD, ...fields];
    const values = await this.call('HMGET', () => this.client.hmGet(this.layout.value(key), names));
    if (values[0] === null) return null;
    const found: Record<string, string> = {};
    names.forEach((name, i) => {
      if (values[i] !== null) found[name] = values[i];
    });
    return found;
  }

  async readOrLease(key: string, request: ReadOrLeaseRequest): Promise<LeaseReply> {
    const [state, raw, detail] = (await this.call(
      'read-or-lease',
      () =>
        this.client.readOrLease(
          this.layout.value(key),
          this.layout.lease(key),
          this.layout.failure(key),
          this.layout.waiters(key),
          request.token,
          request.leaseTtlMs,
          request.nowMs,
          request.refreshFreshUntil === undefined ? '0' : String(request.refreshFreshUntil),
          request.waitingSinceMs ?? 0,
          request.mayServeStale ? '1' : '0',
        ),
      // The caller gave up and loads without the lease: a lease granted to nobody
      // would keep every other caller of the key waiting until it expires.
      ([lateState]) => {
        if (lateState === 'GRANTED') this.releaseQuietly(key, request.token);
      },
    )) as [string, string | string[] | null, number | string];
    const entry = toStoredEntry(raw);
    switch (state) {
      case 'HELD':
        return { state, entry, leaseTtlMs: Number(detail) };
      case 'FAILED':
        return { state, entry, failure: String(detail) };
      case 'HANDOFF':
        return { state, entry, handoff: String(detail) };
      case 'BACKOFF':
        return { state, entry: entry! };
      case 'FRESH':
      case 'GRANTED':
        return { state, entry };
      default:
        throw new Error(`read-or-lease returned an unknown state '${state}'`);
    }
  }

  async fill(key: string, token: string, entry: StoredEntry, ttlMs: number): Promise<boolean> {
    const written = await this.call('fill', () =>
      this.client.fillIfLeased(
        this.layout.value(key),
        this.layout.lease(key),
        this.layout.failure(key),
        this.layout.waiters(key),
        token,
        this.unsafeSkipLeaseCheck ? '1' : '0',
        ttlMs,
        this.layout.channel,
        key,
        ...entryArguments(entry),
      ),
    );
    return written === 1;
  }

  async release(
    key: string,
    token: string,
    failure?: { record: string; ttlMs: number },
  ): Promise<boolean> {
    const released = await this.call('release-lease', () =>
      this.client.releaseLease(
        this.layout.lease(key),
        this.layout.failure(key),
        this.layout.waiters(key),
        token,
        this.layout.channel,
        key,
        failure?.ttlMs ?? 0,
        failure?.record ?? '',
      ),
    );
    return released === 1;
  }

  private releaseQuietly(key: string, token: string): void {
    this.client
      .releaseLease(
        this.layout.lease(key),
        this.layout.failure(key),
        this.layout.waiters(key),
        token,
        this.layout.channel,
        key,
        0,
        '',
      )
      .catch(() => undefined);
  }

  async extendLease(key: string, token: string, leaseTtlMs: number): Promise<boolean> {
    const extended = await this.call('extend-lease', () =>
      this.client.extendLease(this.layout.lease(key), token, leaseTtlMs),
    );
    return extended === 1;
  }

  async write(key: string, entry: StoredEntry, ttlMs: number): Promise<void> {
    await this.call('write', () =>
      this.client.writeEntry(
        this.layout.value(key),
        this.layout.lease(key),
        this.layout.failure(key),
        this.layout.waiters(key),
        ttlMs,
        this.layout.channel,
        key,
        ...entryArguments(entry),
      ),
    );
  }

  async patch(
    key: string,
    set: Record<string, string>,
    remove: string[],
    version?: PatchVersion,
  ): Promise<PatchOutcome | 'json-document'> {
    const outcome = await this.call('patch', () =>
      this.client.patchEntry(
        this.layout.value(key),
        this.layout.lease(key),
        version?.field ?? '',
        version === undefined ? '' : String(version.value),
        remove.length,
        ...remove,
        ...Object.entries(set).flat(),
      ),
    );
    if (outcome === 3) return 'json-document';
    return outcome === 4 ? 'outdated' : patchOutcomeOf(outcome);
  }

  async patchJson(key: string, changes: JsonPathChange[]): Promise<PatchOutcome> {
    const outcome = await this.call('patch-json', () =>
      this.client.patchJsonEntry(
        this.layout.value(key),
        this.layout.lease(key),
        changes.length,
        ...changes.flatMap((change) => [
          change.jsonPath,
          change.place,
          change.json ?? '',
          change.annotations.length,
          ...change.annotations.flat(),
        ]),
      ),
    );
    return patchOutcomeOf(outcome);
  }

  async evict(keys: string[]): Promise<void> {
    // One DEL per logical key: its three keys share a hash slot, different keys may not.
    await this.call('DEL', () =>
      Promise.all(
        keys.map((key) =>
          this.client.del([
            this.layout.value(key),
            this.layout.lease(key),
            this.layout.failure(key),
          ]),
        ),
      ),
    );
  }

  ttlMs(key: string): Promise<number> {
    return this.call('PTTL', () => this.client.pTTL(this.layout.value(key)));
  }

  async readTagSequence(): Promise<number> {
    const text = await this.call('read-tag-sequence', () =>
      this.client.readTagSequence(this.layout.tagSequence, TAG_SEQUENCE_TTL_MS),
    );
    return Number(text);
  }

  async invalidateTags(tags: string[]): Promise<void> {
    const version = await this.call('bump-tag-sequence', () =>
      this.client.bumpTagSequence(this.layout.tagSequence, TAG_SEQUENCE_TTL_MS),
    );
    // one call per tag: each version key lives in its own slot
    await this.call('invalidate-tag', () =>
      Promise.all(
        tags.map((tag) =>
          this.client.invalidateTag(this.layout.tagVersion(tag), version, TAG_VERSION_FLOOR_MS),
        ),
      ),
    );
  }

  async keepTags(tags: string[], ttlMs: number): Promise<number[]> {
    const versions = await this.call('keep-tag', () =>
      Promise.all(
        tags.map((tag) => this.client.keepTag(this.layout.tagVersion(tag), Math.ceil(ttlMs))),
      ),
    );
    return versions.map(Number);
  }

  async tagVersions(tags: readonly string[]): Promise<number[]> {
    const versions = await this.call('GET tag-version', () =>
      Promise.all(tags.map((tag) => this.client.get(this.layout.tagVersion(tag)))),
    );
    return versions.map((version) => Number(version ?? 0));
  }

  async ping(): Promise<void> {
    await this.call('PING', () => this.client.ping());
  }

  onHealthy(listener: (operation: string) => void): void {
    this.healthyListeners.push(listener);
  }

  private healthy(operation: string): void {
    for (const listener of this.healthyListeners) listener(operation);
  }

  /** The connection is (re)established: no need to wait for a probe to close the circuit. */
  connectionReady(): void {
    this.breaker.succeeded();
    this.healthy('connect');
    void this.detectJsonModule();
  }

  /** The near cache, told of changes by {@link changeFeed} (set before the connection opens). */
  private changeListener?: StoreChangeListener;

  trackChanges(listener: StoreChangeListener): void {
    this.changeListener = listener;
  }

  /** Whether the connection must track changes (a near cache is listening). */
  get tracksChanges(): boolean {
    return this.changeListener !== undefined;
  }

  get trackedPrefixes(): string[] {
    return this.layout.trackedPrefixes;
  }

  /** Fed by the connection's tracking with changed Redis keys: translated to entries and tags. */
  readonly changeFeed: ChangeFeed = {
    changed: (redisKeys) => {
      const listener = this.changeListener;
      if (!listener) return;
      if (redisKeys === null) return listener.everythingChanged();
      const keys: string[] = [];
      const tags: string[] = [];
      for (const redisKey of redisKeys) {
        const change = this.layout.changeOf(redisKey);
        if (change === undefined) continue;
        if ('key' in change) keys.push(change.key);
        else tags.push(change.tag);
      }
      if (keys.length > 0) listener.keysChanged(keys);
      if (tags.length > 0) listener.tagsChanged(tags);
    },
    tracking: (on) => this.changeListener?.trackingChanged(on),
  };

  onSettled(listener: (key: string) => void): void {
    this.settledListeners.push(listener);
  }

  /** Fed by the subscriber connection with the keys of settled loads. */
  notifySettled(key: string): void {
    for (const listener of this.settledListeners) listener(key);
  }
}
