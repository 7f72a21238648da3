import type { CacheEventName } from '../interfaces';
import type { CacheEntry } from '../serialization/cache-entry';
import { NearCache } from './near-cache';
import { NEAR_CACHE_DEFAULTS, nearCacheSettingsOf } from './near-cache-settings';

/** The near cache's bookkeeping alone (pure logic); its coherence is tested against Redis in test/. */
describe('NearCache', () => {
  const counted: CacheEventName[] = [];
  const entry = (value: unknown, tags: string[] = [], storedBytes = 10): CacheEntry => ({
    value,
    freshUntilMs: Date.now() + 60_000,
    loadMs: 1,
    tagging: { sequence: 1, tags },
    storedBytes,
  });
  function nearCache(settings = {}) {
    counted.length = 0;
    const near = new NearCache(
      { ...NEAR_CACHE_DEFAULTS, ...settings },
      (counter) => void counted.push(counter),
    );
    near.trackingChanged(true);
    return near;
  }
  const keep = (near: NearCache, key: string, value: CacheEntry) =>
    near.end(near.begin(key), value);
  const readers = (near: NearCache) =>
    (near as unknown as { reading: Map<string, unknown> }).reading;

  it('keeps what a read found, and forgets the read once it ended', () => {
    const near = nearCache();
    keep(near, 'a', entry(1));
    expect(near.get('a')?.value).toBe(1);
    expect(readers(near).size).toBe(0);
  });

  it('voids a read of a key that changed meanwhile, and only that key', () => {
    const near = nearCache();
    const a = near.begin('a');
    const b = near.begin('b');
    near.keysChanged(['a']);
    near.end(a, entry(1));
    near.end(b, entry(2));
    expect(near.get('a')).toBeUndefined();
    expect(near.get('b')?.value).toBe(2);
    expect(readers(near).size).toBe(0);
  });

  it('Redis unreachable: drops every entry and voids reads in flight, without a change notice (loads stay joinable)', () => {
    const near = nearCache();
    const notices: unknown[] = [];
    near.onChange((keys) => notices.push(keys));
    keep(near, 'a', entry(1));
    const inFlight = near.begin('b');
    near.redisUnreachable();
    near.end(inFlight, entry(2));
    expect(near.get('a')).toBeUndefined();
    expect(near.get('b')).toBeUndefined();
    expect(counted).toEqual(['nearFlushes']);
    near.redisUnreachable(); // nothing left to drop: not counted again
    expect(counted).toEqual(['nearFlushes']);
    expect(notices).toEqual([]);
    keep(near, 'a', entry(3)); // the next read that succeeds is kept again
    expect(near.get('a')?.value).toBe(3);
  });

  it('a tag change voids tagged reads in flight (any tag) but not untagged ones, and drops its entries', () => {
    const near = nearCache();
    keep(near, 'kept', entry(0, ['rows']));
    const tagged = near.begin('t');
    const plain = near.begin('p');
    near.tagsChanged(['other']);
    near.end(tagged, entry(1, ['rows']));
    near.end(plain, entry(2));
    expect(near.get('t')).toBeUndefined();
    expect(near.get('p')?.value).toBe(2);
    expect(near.get('kept')?.value).toBe(0); // 'other' isn't its tag
    near.tagsChanged(['rows']);
    expect(near.get('kept')).toBeUndefined();
    expect(near.state()).toEqual({ entries: 1, bytes: 10, tracking: true });
  });

  it('keeps nothing while tracking is off, nor from reads that began before it came back', () => {
    const near = nearCache();
    keep(near, 'a', entry(1));
    near.trackingChanged(false);
    expect(near.state()).toEqual({ entries: 0, bytes: 0, tracking: false });
    expect(counted).toContain('nearFlushes');
    const before = near.begin('b');
    keep(near, 'c', entry(3));
    near.trackingChanged(true);
    near.end(before, entry(2));
    expect(near.get('b')).toBeUndefined();
    expect(near.get('c')).toBeUndefined();
  });

  it('counts bytes in and out, and refuses an entry over an eighth of maxBytes', () => {
    const near = nearCache({ maxBytes: 800 });
    keep(near, 'a', entry(1, [], 100));
    keep(near, 'a', entry(2, [], 50)); // replaced
    keep(near, 'big', entry(3, [], 101));
    expect(near.state().bytes).toBe(50);
    expect(near.get('big')).toBeUndefined();
    near.keysChanged(['a']);
    expect(near.state().bytes).toBe(0);
  });

  it('evicts by CLOCK, giving at most 32 second chances per eviction', () => {
    const near = nearCache({ maxEntries: 100 });
    for (let i = 0; i < 100; i++) keep(near, `k${i}`, entry(i));
    for (let i = 0; i < 100; i++) near.get(`k${i}`); // every entry hit
    keep(near, 'new', entry('new'));
    expect(near.state().entries).toBe(100);
    // 32 entries got their chance (moved back, flag cleared); the 33rd went
    expect(near.get('k32')).toBeUndefined();
    expect(near.get('k0')?.value).toBe(0);
  });

  it('never serves past fresh-until or maxTtlSeconds', () => {
    const near = nearCache({ maxTtlSeconds: 0.001 });
    keep(near, 'a', entry(1));
    const later = Date.now() + 5;
    jest.spyOn(Date, 'now').mockReturnValue(later);
    try {
      expect(near.get('a')).toBeUndefined();
    } finally {
      jest.restoreAllMocks();
    }
  });

  it('refuses nonsense options at start-up', () => {
    expect(() => nearCacheSettingsOf({ maxEntries: 0 })).toThrow(/maxEntries/);
    expect(() => nearCacheSettingsOf({ maxBytes: 1.5 })).toThrow(/maxBytes/);
    expect(() => nearCacheSettingsOf({ values: 'shared' as never })).toThrow(/values/);
    expect(() => nearCacheSettingsOf('yes' as never)).toThrow(/nearCache/);
    expect(nearCacheSettingsOf(false)).toBeUndefined();
    expect(nearCacheSettingsOf(true)).toEqual(NEAR_CACHE_DEFAULTS);
  });
});
