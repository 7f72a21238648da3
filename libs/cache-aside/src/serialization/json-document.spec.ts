import { CacheCorruptEntryError } from '../errors/cache-corrupt-entry.error';
import { CacheSerializationError } from '../errors/cache-serialization.error';
import { decodeEntry, encodeEntryAs } from './cache-entry';
import {
  decodeJsonDocument,
  encodeJsonDocument,
  encodeJsonPatch,
  isWithin,
  JsonDocumentEntry,
} from './json-document';

/*
 * Pure logic of the RedisJSON layout. What Redis does with it (JSON.SET, JSON.GET and
 * the patch script) can't run here: the project's Redis has no RedisJSON module.
 */

/** What a server would hand back: the text we sent, parsed again. */
function throughText(entry: JsonDocumentEntry): JsonDocumentEntry {
  return new JsonDocumentEntry(JSON.parse(entry.text));
}

describe('JSON document entries', () => {
  it('round-trips every supported type, special values listed by place', () => {
    const value = {
      at: new Date('2024-02-29T12:00:00.123Z'),
      big: 2n ** 80n,
      tags: new Set(['x']),
      byId: new Map([[1, { when: new Date(0) }]]),
      none: null,
      nested: { list: [1, 'two', { three: 3n }], empty: [] as unknown[] },
      'dotted.name': -0,
      '': 'empty name',
      '#0': 'hash name',
      weird: Number.NaN,
      gone: undefined,
    };
    const entry = encodeJsonDocument(value, '2|5|2|0|0|');
    const document = JSON.parse(entry.text) as { m: string; a: Record<string, string>; v: any };
    expect(document.m).toBe('2|5|2|0|0|');
    expect(document.v.at).toBe(value.at.getTime()); // a number in the document, a Date back
    expect(document.a).toMatchObject({
      at: 'D',
      big: 'b',
      tags: 'S',
      byId: 'M',
      'byId.#0.#1.when': 'D',
      'nested.list.#2.three': 'b',
      'dotted%2Ename': '-0',
      weird: 'N',
      gone: 'u',
    });
    const decoded = decodeJsonDocument(throughText(entry));
    expect(decoded.header).toBe('2|5|2|0|0|');
    expect(decoded.value).toEqual(value);
    expect(Object.is((decoded.value as typeof value)['dotted.name'], -0)).toBe(true);
  });

  it('keeps a whole special value (a Map at the root) and plain arrays', () => {
    for (const value of [new Map([['a', 1]]), [1, [2, 3]], 'text', null, new Date(7)]) {
      expect(
        decodeJsonDocument(throughText(encodeJsonDocument(value, '2|0|0|0|0|'))).value,
      ).toEqual(value);
    }
  });

  it('decodes through decodeEntry with the header, like the other storages', () => {
    const tagging = { sequence: 1_764_000_000_000_123, tags: ['category:7', 'a|b'] };
    const entry = encodeEntryAs('json', { price: 12 }, 1_700_000_000_000, 3, tagging);
    expect(entry).toBeInstanceOf(JsonDocumentEntry);
    expect(decodeEntry(throughText(entry as JsonDocumentEntry))).toEqual({
      value: { price: 12 },
      freshUntilMs: 1_700_000_000_000,
      loadMs: 3,
      tagging,
    });
  });

  it.each([
    ['not an object', 'text'],
    ['no header', { a: {}, v: 1 }],
    ['a place map that is not an object', { m: '2|0|0|0|0|', a: [], v: 1 }],
    ['an annotation that points nowhere', { m: '2|0|0|0|0|', a: { 'x.y': 'D' }, v: {} }],
    ['a malformed place', { m: '2|0|0|0|0|', a: { '%E0%A4%A': 'D' }, v: {} }],
    ['a prototype path', JSON.parse('{"m":"2|0|0|0|0|","a":{"__proto__":"D"},"v":{}}')],
    ['another format version', { m: '9|0|0|', a: {}, v: 1 }],
    ['a header with a tail', { m: '2|0|0|0|0|x', a: {}, v: 1 }],
  ])('reports %s as a corrupt entry', (_, document) => {
    expect(() => decodeEntry(new JsonDocumentEntry(document))).toThrow(CacheCorruptEntryError);
  });

  it('never changes a prototype, whatever the document says', () => {
    const document = JSON.parse('{"m":"2|0|0|0|0|","a":{},"v":{"__proto__":{"polluted":true}}}');
    const { value } = decodeEntry(new JsonDocumentEntry(document));
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
  });
});

describe('JSON path patches', () => {
  it('turns dotted paths into JSONPaths and places, with the new value’s special places', () => {
    const [price, when, note] = encodeJsonPatch({
      'price.amount': 12,
      'items.0.at': new Date(5),
      note: undefined,
    });
    expect(price).toEqual({
      jsonPath: '$.v.price.amount',
      place: 'price.amount',
      json: '12',
      annotations: [],
    });
    expect(when).toEqual({
      jsonPath: '$.v.items[0].at',
      place: 'items.#0.at',
      json: '5',
      annotations: [['items.#0.at', 'D']],
    });
    expect(note).toEqual({ jsonPath: '$.v.note', place: 'note', json: undefined, annotations: [] });
  });

  it('carries annotations inside a new subtree at their absolute places', () => {
    const [change] = encodeJsonPatch({ dimensions: { seen: new Set([1]), at: new Date(1) } });
    expect(change.annotations).toEqual([
      ['dimensions.seen', 'S'],
      ['dimensions.at', 'D'],
    ]);
  });

  it.each([
    ['an empty step', 'a..b'],
    ['a step with a quote', 'a."b'],
    ['a JSONPath wildcard', 'items.*'],
    ['a filter', 'items[?(@.x)]'],
    ['a leading zero index', 'items.01'],
    ['a bracket', 'a["b"]'],
  ])('refuses %s with a clear error', (_, path) => {
    expect(() => encodeJsonPatch({ [path]: 1 })).toThrow(/each step must be a property name/);
  });

  it('refuses two paths where one holds the other, and removing an array element', () => {
    expect(() => encodeJsonPatch({ price: { amount: 1 }, 'price.amount': 2 })).toThrow(
      /one holds the other/,
    );
    expect(() => encodeJsonPatch({ 'items.3': undefined })).toThrow(/shifts the ones after it/);
    expect(() => encodeJsonPatch({ fn: () => 1 })).toThrow(CacheSerializationError);
  });

  it('tests "within" as the patch script does: by whole steps, the root holding all', () => {
    expect(isWithin('price.amount', 'price')).toBe(true);
    expect(isWithin('price', 'price')).toBe(true);
    expect(isWithin('priceCents', 'price')).toBe(false);
    expect(isWithin('anything', '')).toBe(true);
  });
});
