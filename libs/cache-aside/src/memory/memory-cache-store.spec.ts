import type { ReadOrLeaseRequest } from '../interfaces';
import {
  decodeEntry,
  encodeEntry,
  encodeHashEntry,
  encodePatch,
  patchVersionOf,
} from '../serialization/cache-entry';
import { JsonDocumentEntry } from '../serialization/json-document';
import { MemoryCacheStore } from './memory-cache-store';

// Pure logic against a controlled clock: every expiry below is checked by moving it.
const T0 = 1_700_000_000_000;
let now = T0;
const advance = (ms: number) => (now += ms);

const lease = (token: string, extra: Partial<ReadOrLeaseRequest> = {}): ReadOrLeaseRequest => ({
  token,
  leaseTtlMs: 1000,
  nowMs: now,
  mayServeStale: false,
  ...extra,
});

describe('MemoryCacheStore', () => {
  let store: MemoryCacheStore;

  beforeEach(() => {
    now = T0;
    jest.spyOn(Date, 'now').mockImplementation(() => now);
    store = new MemoryCacheStore();
  });
  afterEach(() => jest.restoreAllMocks());

  describe('read-or-lease, as read-or-lease.lua', () => {
    it('HANDOFF to a caller that waited for a load whose result is not cached; a new caller leases', async () => {
      await store.readOrLease('k', lease('holder'));
      const waitingSince = now;
      advance(10);
      await store.release('k', 'holder', { record: `h${now}|the result`, ttlMs: 1000 });
      expect(
        await store.readOrLease('k', lease('waiter', { waitingSinceMs: waitingSince })),
      ).toEqual({
        state: 'HANDOFF',
        entry: null,
        handoff: 'the result',
      });
      expect(await store.readOrLease('k', lease('newcomer', { mayServeStale: true }))).toEqual({
        state: 'GRANTED',
        entry: null,
      });
    });

    it('GRANTED to the first caller of a missing key, HELD (with the lease time left) to the next', async () => {
      expect(await store.readOrLease('k', lease('a'))).toEqual({ state: 'GRANTED', entry: null });
      advance(300);
      expect(await store.readOrLease('k', lease('b'))).toEqual({
        state: 'HELD',
        entry: null,
        leaseTtlMs: 700,
      });
    });

    it('FRESH with the entry while it is fresh; GRANTED with the stale entry after', async () => {
      const entry = encodeEntry({ n: 1 }, T0 + 500, 3);
      await store.write('k', entry, 2000);
      expect(await store.readOrLease('k', lease('a'))).toEqual({ state: 'FRESH', entry });
      advance(600);
      expect(await store.readOrLease('k', lease('a', { nowMs: now }))).toEqual({
        state: 'GRANTED',
        entry,
      });
    });

    it('an early refresh gets the lease only while the entry it saw is still current', async () => {
      await store.write('k', encodeEntry(1, T0 + 500, 3), 2000);
      expect(await store.readOrLease('k', lease('a', { refreshFreshUntil: T0 + 400 }))).toEqual({
        state: 'FRESH',
        entry: null,
      });
      expect(
        (await store.readOrLease('k', lease('a', { refreshFreshUntil: T0 + 500 }))).state,
      ).toBe('GRANTED');
    });

    it('a failed load: FAILED to callers that waited since before it, BACKOFF to those that may serve stale', async () => {
      const stale = encodeEntry('old', T0 - 1, 3);
      await store.write('k', stale, 5000);
      expect((await store.readOrLease('k', lease('a'))).state).toBe('GRANTED');
      await store.release('k', 'a', { record: `${T0}|db down`, ttlMs: 1000 });
      expect(await store.readOrLease('k', lease('b', { waitingSinceMs: T0 - 10 }))).toEqual({
        state: 'FAILED',
        entry: stale,
        failure: `${T0}|db down`,
      });
      expect(await store.readOrLease('k', lease('c', { mayServeStale: true }))).toEqual({
        state: 'BACKOFF',
        entry: stale,
      });
      // a caller that came after the failure and can't serve stale loads again
      expect((await store.readOrLease('k', lease('d', { waitingSinceMs: T0 + 1 }))).state).toBe(
        'GRANTED',
      );
    });

    it('the failure record expires on time', async () => {
      await store.write('k', encodeEntry('old', T0 - 1, 3), 5000);
      await store.readOrLease('k', lease('a'));
      await store.release('k', 'a', { record: `${T0}|db down`, ttlMs: 1000 });
      advance(999);
      expect((await store.readOrLease('k', lease('b', { mayServeStale: true }))).state).toBe(
        'BACKOFF',
      );
      advance(1);
      expect((await store.readOrLease('k', lease('b', { mayServeStale: true }))).state).toBe(
        'GRANTED',
      );
    });

    it('a lease expires on time (a crashed holder), unless extended by its holder', async () => {
      await store.readOrLease('k', lease('a'));
      advance(900);
      expect(await store.extendLease('k', 'b', 1000)).toBe(false);
      expect(await store.extendLease('k', 'a', 1000)).toBe(true);
      advance(900);
      expect((await store.readOrLease('k', lease('b'))).state).toBe('HELD');
      advance(100);
      expect((await store.readOrLease('k', lease('b'))).state).toBe('GRANTED');
      expect(await store.extendLease('k', 'a', 1000)).toBe(false);
    });
  });

  describe('fills, releases and writes', () => {
    it('fills only while the token holds the lease, with the TTL; the lease is gone after', async () => {
      const entry = encodeEntry(new Date(T0), T0 + 1000, 2);
      await store.readOrLease('k', lease('a'));
      expect(await store.fill('k', 'b', entry, 1000)).toBe(false);
      expect(await store.read('k', 'string')).toBeNull();
      expect(await store.fill('k', 'a', entry, 1000)).toBe(true);
      expect(decodeEntry((await store.read('k', 'string'))!)).toEqual({
        value: new Date(T0),
        freshUntilMs: T0 + 1000,
        loadMs: 2,
        tagging: { sequence: 0, tags: [] },
      });
      expect(await store.fill('k', 'a', entry, 1000)).toBe(false);
      expect(await store.ttlMs('k')).toBe(1000);
      advance(1000);
      expect(await store.read('k', 'string')).toBeNull();
      expect(await store.ttlMs('k')).toBe(-2);
    });

    it('an eviction, a write or a patch kills the lease: the older fill is rejected', async () => {
      for (const kill of [
        () => store.evict(['k']),
        () => store.write('k', encodeEntry('newer', T0 + 1000, 0), 1000),
        () => store.patch('k', { '.a': 'J1' }, []),
      ]) {
        await store.evict(['k']);
        expect((await store.readOrLease('k', lease('a'))).state).toBe('GRANTED');
        await kill();
        expect(await store.fill('k', 'a', encodeEntry('older', T0 + 1000, 0), 1000)).toBe(false);
      }
    });

    it('release gives the lease back only to its holder', async () => {
      await store.readOrLease('k', lease('a'));
      await store.release('k', 'b');
      expect((await store.readOrLease('k', lease('c'))).state).toBe('HELD');
      await store.release('k', 'a');
      expect((await store.readOrLease('k', lease('c'))).state).toBe('GRANTED');
    });

    it('tells onSettled listeners after every fill (landed or not), release and write, not patch or evict', async () => {
      const settled: string[] = [];
      store.onSettled((key) => settled.push(key));
      await store.readOrLease('f', lease('a'));
      await store.fill('f', 'x', encodeEntry(1, T0 + 1000, 0), 1000);
      await store.fill('f', 'a', encodeEntry(1, T0 + 1000, 0), 1000);
      await store.release('r', 'nobody');
      await store.write('w', encodeEntry(1, T0 + 1000, 0), 1000);
      await store.patch('w', {}, []);
      await store.evict(['w']);
      await Promise.resolve();
      expect(settled).toEqual(['f', 'f', 'r', 'w']);
    });

    it('entries are copies: mutating a hash that was read or written does not change the store', async () => {
      const fields = encodeHashEntry({ a: 1 }, T0 + 1000, 0);
      await store.write('k', fields, 1000);
      fields['.a'] = 'J2';
      const read = (await store.read('k', 'hash')) as Record<string, string>;
      read['.a'] = 'J3';
      expect((await store.read('k', 'hash')) as Record<string, string>).toMatchObject({
        '.a': 'J1',
      });
    });
  });

  describe('kinds, as Redis without RedisJSON', () => {
    it('reading an entry as the other kind is WRONGTYPE; JSON is an unknown command', async () => {
      await store.write('s', encodeEntry(1, T0 + 1000, 0), 1000);
      await store.write('h', encodeHashEntry({ a: 1 }, T0 + 1000, 0), 1000);
      await expect(store.read('s', 'hash')).rejects.toThrow(/^WRONGTYPE/);
      await expect(store.read('h', 'string')).rejects.toThrow(/^WRONGTYPE/);
      await expect(store.readFields('s', ['.a'])).rejects.toThrow(/^WRONGTYPE/);
      await expect(store.read('s', 'json')).rejects.toThrow(/unknown command 'JSON.GET'/);
      await expect(
        store.write('j', new JsonDocumentEntry({ m: '2|0|0|0|0|', a: {}, v: 1 }), 1000),
      ).rejects.toThrow(/unknown command 'JSON.SET'/);
      expect(store.supportsJson()).toBe(false);
    });

    it('readFields: the header and the named fields the entry has', async () => {
      await store.write('h', encodeHashEntry({ a: 1, b: 'x' }, T0 + 1000, 0), 1000);
      expect(await store.readFields('h', ['.a', '.missing'])).toEqual({
        _m: `2|${T0 + 1000}|0|0|0|`,
        '.a': 'J1',
      });
      expect(await store.readFields('nothing', ['.a'])).toBeNull();
    });
  });

  describe('patch, as patch-entry.lua', () => {
    const hash = (value: object) => encodeHashEntry(value, T0 + 1000, 0);

    it('patched: sets and removes fields in place, keeping the TTL', async () => {
      await store.write('k', hash({ a: 1, b: 2 }), 1000);
      advance(400);
      const { set, remove } = encodePatch({ a: 5, b: undefined, c: 'new' });
      expect(await store.patch('k', set, remove)).toBe('patched');
      expect(decodeEntry((await store.read('k', 'hash'))!).value).toEqual({ a: 5, c: 'new' });
      expect(await store.ttlMs('k')).toBe(600);
    });

    it('absent: nothing is created', async () => {
      expect(await store.patch('k', { '.a': 'J1' }, [])).toBe('absent');
      expect(await store.read('k', 'hash')).toBeNull();
    });

    it('evicted: a string entry, or a whole value kept in one field', async () => {
      await store.write('s', encodeEntry({ a: 1 }, T0 + 1000, 0), 1000);
      await store.write('w', hash([1, 2]), 1000);
      expect(await store.patch('s', { '.a': 'J2' }, [])).toBe('evicted');
      expect(await store.patch('w', { '.a': 'J2' }, [])).toBe('evicted');
      expect(await store.read('s', 'string')).toBeNull();
      expect(await store.read('w', 'hash')).toBeNull();
    });

    it('versioned: applies over an older version only, evicts an entry without a readable one', async () => {
      await store.write('k', hash({ version: 3, price: 10 }), 1000);
      const patchTo = (version: number, price: number) => {
        const changes = { price, version };
        const { set, remove } = encodePatch(changes);
        return store.patch('k', set, remove, patchVersionOf(changes, 'version'));
      };
      expect(await patchTo(3, 11)).toBe('outdated');
      expect(await patchTo(2, 12)).toBe('outdated');
      expect(await patchTo(4, 13)).toBe('patched');
      expect(decodeEntry((await store.read('k', 'hash'))!).value).toEqual({
        version: 4,
        price: 13,
      });
      await store.write('k', hash({ price: 10 }), 1000);
      expect(await patchTo(5, 14)).toBe('evicted');
    });

    it('patchJson evicts whatever is there (no entry is a JSON document here)', async () => {
      await store.write('k', hash({ a: { b: 1 } }), 1000);
      expect(await store.patchJson('k', [])).toBe('evicted');
      expect(await store.patchJson('k', [])).toBe('absent');
    });
  });

  describe('versioned tags, as the tag scripts', () => {
    it('an invalidation stamps its tags above every sequence read before it, never lowering a version', async () => {
      const before = await store.readTagSequence();
      expect(await store.tagVersions(['t', 'u'])).toEqual([0, 0]);
      await store.invalidateTags(['t']);
      const [t] = await store.tagVersions(['t']);
      expect(t).toBeGreaterThan(before);
      expect(await store.readTagSequence()).toBe(t); // a load from now on is not out of date
      await store.invalidateTags(['t', 'u']);
      const [t2, u] = await store.tagVersions(['t', 'u']);
      expect(t2).toBeGreaterThan(t);
      expect(u).toBe(t2);
    });

    it('the sequence never goes back, even once its key expired', async () => {
      await store.invalidateTags(['t']);
      const [version] = await store.tagVersions(['t']);
      advance(24 * 60 * 60 * 1000);
      expect(await store.readTagSequence()).toBeGreaterThanOrEqual(version);
    });

    it('keepTags keeps a version as long as the longest entry, at least 10 minutes after an invalidation', async () => {
      expect(await store.keepTags(['t'], 1000)).toEqual([0]);
      await store.invalidateTags(['t']);
      const [version] = await store.tagVersions(['t']);
      advance(9 * 60 * 1000);
      expect(await store.tagVersions(['t'])).toEqual([version]);
      expect(await store.keepTags(['t'], 30 * 60 * 1000)).toEqual([version]);
      advance(29 * 60 * 1000);
      expect(await store.tagVersions(['t'])).toEqual([version]);
      advance(2 * 60 * 1000);
      expect(await store.tagVersions(['t'])).toEqual([0]);
    });
  });

  it('expired entries are swept as the store grows: memory follows the live keys', async () => {
    for (let i = 0; i < 5000; i++) {
      await store.write(`k${i}`, encodeEntry(i, now + 10, 0), 10);
      advance(1);
    }
    const entries = (store as unknown as { entries: { size: number } }).entries;
    expect(entries.size).toBeLessThan(2100);
  });

  it('ping answers', async () => {
    await expect(store.ping()).resolves.toBeUndefined();
  });
});
