import { CacheCorruptEntryError } from '../errors/cache-corrupt-entry.error';
import { decodeEntry, decodeHeader, encodeEntryAs, type CacheStorage } from './cache-entry';

describe('entry header', () => {
  const tagging = {
    sequence: 1_764_000_000_000_123,
    tags: ['category:7', 'with|bar', '\u0000all'],
  };

  it.each<CacheStorage>(['string', 'hash'])(
    'carries the tag sequence and the tags through %s storage',
    (storage) => {
      const stored = encodeEntryAs(storage, { name: 'x', at: new Date(5) }, 1_000, 7, tagging);
      expect(decodeEntry(stored)).toEqual({
        value: { name: 'x', at: new Date(5) },
        freshUntilMs: 1_000,
        loadMs: 7,
        tagging,
      });
    },
  );

  it('an untagged entry records no tags', () => {
    expect(decodeEntry(encodeEntryAs('string', 1, 1_000, 0)).tagging).toEqual({
      sequence: 0,
      tags: [],
    });
  });

  it.each([
    ['the format before tag versions', '1|100|0|J1'],
    ['a missing field', '2|100|0|0|'],
    ['a tag list past the end', '2|100|0|5|40|tag'],
    ['a negative sequence', '2|100|0|-5|0|'],
    ['an empty tag', '2|100|0|5|4|a\n\nb'],
    ['a non-number', '2|100|x|0|0|'],
    ['an empty number', '2|100||0|0|'],
  ])('refuses %s', (_label, text) => {
    expect(() => decodeHeader(text)).toThrow(CacheCorruptEntryError);
  });
});
