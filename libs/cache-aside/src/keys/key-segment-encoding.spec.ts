import { CacheKeyError } from '../errors/cache-key.error';
import { encodeKeySegment } from './key-segment-encoding';
import { seededRandom } from '../../../../test/support/seeded-random';
import { thrownBy } from '../../../../test/support/thrown-by';

/** Only unreserved characters and %XX escapes: what every escaped string must look like. */
const ESCAPED_TEXT = /^(?:[A-Za-z0-9_.~-]|%[0-9A-F]{2})*$/;
const MARKERS = ['%N', '%U', '%NaN', '%Inf', '%-Inf'];

const HOSTILE_STRINGS = [
  ':',
  '*',
  '?',
  '[',
  ']',
  '{',
  '}',
  '{}',
  '}{',
  ' ',
  '\t',
  '\n',
  '\r\n',
  '\u00a0',
  '\u2028',
  '%',
  '%N',
  '%U',
  '%NaN',
  '%Inf',
  '%-Inf',
  '%25',
  '%7B',
  '#',
  '/',
  '\\',
  '"',
  "'",
  '!',
  '(',
  ')',
  '+',
  '&',
  '=',
  'a:b',
  'user:1}:{admin',
  '😀',
  '👩‍👩‍👧',
  '\u202Eevil',
  'שלום',
  'مرحبا',
  'e\u0301',
  '\u00e9',
  '\u0000',
  '\uD800',
  '\uDC00',
  '\uDC00\uD800',
  '\uFFFD',
  'x'.repeat(10_000),
  '{'.repeat(1000),
];

function keyError(value: unknown): CacheKeyError {
  return thrownBy(() => encodeKeySegment(value), CacheKeyError);
}

function isWellFormed(text: string): boolean {
  try {
    encodeURIComponent(text);
    return true;
  } catch {
    return false;
  }
}

describe('encodeKeySegment', () => {
  describe('strings', () => {
    it('leaves unreserved characters alone', () => {
      expect(encodeKeySegment('Az09_.~-')).toBe('Az09_.~-');
      expect(encodeKeySegment('')).toBe('');
    });

    it.each([
      [':', '%3A'],
      ['*', '%2A'],
      ['?', '%3F'],
      ['[', '%5B'],
      [']', '%5D'],
      ['{', '%7B'],
      ['}', '%7D'],
      ['%', '%25'],
      ['#', '%23'],
      [' ', '%20'],
      ['\n', '%0A'],
      ['\r\n', '%0D%0A'],
      ['/', '%2F'],
      ['!', '%21'],
      ["'", '%27'],
      ['(', '%28'],
      [')', '%29'],
      ['+', '%2B'],
      ['\u0000', '%00'],
      ['é', '%C3%A9'],
      ['😀', '%F0%9F%98%80'],
      ['\u202E', '%E2%80%AE'],
    ])('escapes %j as %s', (input, expected) => {
      expect(encodeKeySegment(input)).toBe(expected);
    });

    it.each(HOSTILE_STRINGS.map((text) => [JSON.stringify(text).slice(0, 40), text]))(
      'encodes %s as unreserved characters and %%XX only',
      (_label, text) => {
        const encoded = encodeKeySegment(text);
        expect(encoded).toMatch(ESCAPED_TEXT);
        expect(encoded).not.toMatch(/[{}*?[\]:\s#/]/);
        expect(MARKERS).not.toContain(encoded);
      },
    );

    it('keeps strings that look alike apart', () => {
      const lookalikes = [
        'e\u0301',
        '\u00e9',
        '\uD800',
        '\uDC00',
        '\uFFFD',
        '\uDC00\uD800',
        '\uD83D\uDE00',
      ];
      const encoded = lookalikes.map(encodeKeySegment);
      expect(new Set(encoded).size).toBe(lookalikes.length);
    });

    it('encodes lone surrogates as their 3-byte form', () => {
      expect(encodeKeySegment('\uD800')).toBe('%ED%A0%80');
      expect(encodeKeySegment('a\uDFFF:')).toBe('a%ED%BF%BF%3A');
      expect(encodeKeySegment('\uD83D\uDE00\uD800')).toBe('%F0%9F%98%80%ED%A0%80');
    });

    it('gives markers no string can produce', () => {
      expect(encodeKeySegment('%N')).toBe('%25N');
      expect(encodeKeySegment('%U')).toBe('%25U');
      expect(encodeKeySegment('%NaN')).toBe('%25NaN');
      expect(encodeKeySegment('%-Inf')).toBe('%25-Inf');
    });

    it('is injective and decodable on thousands of random strings', () => {
      const random = seededRandom(7);
      const alphabet = [
        'a',
        'Z',
        '0',
        '%',
        'N',
        'U',
        ':',
        '{',
        '}',
        ' ',
        '\n',
        '#',
        '*',
        '/',
        '-',
        '.',
        '~',
        'é',
        '😀',
        '\u0301',
        '\uD800',
        '\uDC00',
        '\uFFFD',
        '2',
        '5',
        'A',
      ];
      const seen = new Map<string, string>();
      for (let i = 0; i < 5000; i++) {
        const length = Math.floor(random() * 8);
        let text = '';
        for (let j = 0; j < length; j++) text += alphabet[Math.floor(random() * alphabet.length)];
        const encoded = encodeKeySegment(text);
        expect(encoded).toMatch(ESCAPED_TEXT);
        expect(MARKERS).not.toContain(encoded);
        if (isWellFormed(text)) expect(decodeURIComponent(encoded)).toBe(text);
        const previous = seen.get(encoded);
        if (previous !== undefined) expect(previous).toBe(text);
        seen.set(encoded, text);
      }
    });
  });

  describe('numbers, booleans, bigints and missing values', () => {
    it('writes finite numbers as their text, shared with the same string', () => {
      expect(encodeKeySegment(1)).toBe('1');
      expect(encodeKeySegment(1)).toBe(encodeKeySegment('1'));
      expect(encodeKeySegment(-3.25)).toBe('-3.25');
      expect(encodeKeySegment(2 ** 53)).toBe('9007199254740992');
      expect(encodeKeySegment(1e-7)).toBe('1e-7');
      // '+' is escaped in strings, so it is in numbers too: 1e21 still equals '1e+21'.
      expect(encodeKeySegment(1e21)).toBe('1e%2B21');
      expect(encodeKeySegment(1e21)).toBe(encodeKeySegment('1e+21'));
    });

    it('writes -0 as 0', () => {
      expect(encodeKeySegment(-0)).toBe('0');
    });

    it('uses markers for NaN and the infinities', () => {
      expect(encodeKeySegment(NaN)).toBe('%NaN');
      expect(encodeKeySegment(Infinity)).toBe('%Inf');
      expect(encodeKeySegment(-Infinity)).toBe('%-Inf');
      expect(encodeKeySegment('NaN')).toBe('NaN');
      expect(encodeKeySegment('Infinity')).toBe('Infinity');
    });

    it('uses markers for null and undefined', () => {
      expect(encodeKeySegment(null)).toBe('%N');
      expect(encodeKeySegment(undefined)).toBe('%U');
      expect(encodeKeySegment('null')).toBe('null');
      expect(encodeKeySegment('undefined')).toBe('undefined');
    });

    it('writes booleans and bigints as text', () => {
      expect(encodeKeySegment(true)).toBe('true');
      expect(encodeKeySegment(false)).toBe('false');
      expect(encodeKeySegment(12345678901234567890n)).toBe('12345678901234567890');
      expect(encodeKeySegment(-1n)).toBe('-1');
      expect(encodeKeySegment(10n)).toBe(encodeKeySegment(10));
    });
  });

  describe('dates', () => {
    it('writes the escaped ISO string', () => {
      const date = new Date('2024-05-06T07:08:09.010Z');
      expect(encodeKeySegment(date)).toBe('2024-05-06T07%3A08%3A09.010Z');
      expect(encodeKeySegment(date)).toBe(encodeKeySegment(date.toISOString()));
    });

    it('rejects invalid dates', () => {
      expect(keyError(new Date('nope')).message).toContain('invalid Date');
      expect(keyError({ when: new Date(NaN) }).message).toContain('invalid Date');
    });
  });

  describe('objects and arrays', () => {
    it('writes stable JSON, escaped', () => {
      expect(encodeKeySegment({ b: 1, a: 'x' })).toBe(encodeURIComponent('{"a":"x","b":1}'));
      expect(encodeKeySegment([1, 'a'])).toBe('%5B1%2C%22a%22%5D');
    });

    it('ignores key order at every level', () => {
      const one = { filter: { status: 'open', owner: 1 }, page: 2, sort: ['a', 'b'] };
      const two = { sort: ['a', 'b'], page: 2, filter: { owner: 1, status: 'open' } };
      expect(encodeKeySegment(one)).toBe(encodeKeySegment(two));
    });

    it('keeps array order', () => {
      expect(encodeKeySegment([1, 2])).not.toBe(encodeKeySegment([2, 1]));
    });

    it('leaves undefined properties out but keeps undefined array elements apart from null', () => {
      expect(encodeKeySegment({ a: 1, b: undefined })).toBe(encodeKeySegment({ a: 1 }));
      expect(encodeKeySegment([undefined])).not.toBe(encodeKeySegment([null]));
    });

    it('keeps values JSON would collapse apart', () => {
      const values = [[null], [NaN], [Infinity], [-Infinity], ['NaN'], [1n], ['1']];
      const encoded = values.map(encodeKeySegment);
      expect(new Set(encoded).size).toBe(values.length);
    });

    it('writes nested Dates as their ISO string and uses toJSON', () => {
      const decimal = { toJSON: () => '10.50' };
      expect(decodeURIComponent(encodeKeySegment({ at: new Date(0), price: decimal }))).toBe(
        '{"at":"1970-01-01T00:00:00.000Z","price":"10.50"}',
      );
    });

    it('treats class instances (DTOs) like plain objects', () => {
      class ListQuery {
        page = 1;
        status = 'open';
        get ignored(): string {
          return 'x';
        }
      }
      expect(encodeKeySegment(new ListQuery())).toBe(encodeKeySegment({ status: 'open', page: 1 }));
    });

    it('never lets braces or separators through', () => {
      const encoded = encodeKeySegment({ '}:{': ['{', '}', ':*?[]', 'a b'] });
      expect(encoded).toMatch(ESCAPED_TEXT);
    });

    it('allows repeated (non-cyclic) references', () => {
      const shared = { id: 1 };
      expect(() => encodeKeySegment({ a: shared, b: shared })).not.toThrow();
    });
  });

  describe('values with no key form', () => {
    it.each([
      ['a function', () => 1, 'function'],
      ['a symbol', Symbol('s'), 'symbol'],
      ['a nested function', { a: [() => 1] }, 'a function cannot be part of a cache key (at a.0)'],
      ['a nested symbol', { a: Symbol('s') }, 'a symbol cannot be part of a cache key (at a)'],
      ['a Map', new Map(), 'Map'],
      ['a Set', { ids: new Set([1]) }, 'a Set cannot be part of a cache key (at ids)'],
      ['a RegExp', /x/, 'RegExp'],
      ['a Buffer', Buffer.from('x'), 'Buffer'],
      ['a Promise', Promise.resolve(), 'Promise'],
      ['a WeakMap', new WeakMap(), 'WeakMap'],
    ])('rejects %s', (_label, value, mention) => {
      const error = keyError(value);
      expect(error.code).toBe('CACHE_KEY');
      expect(error.message).toContain(mention);
    });

    it('rejects cycles', () => {
      const cyclic: Record<string, unknown> = {};
      cyclic.self = cyclic;
      expect(keyError(cyclic).message).toContain('cyclic');
      const list: unknown[] = [];
      list.push({ list });
      expect(keyError(list).message).toContain('cyclic');
    });
  });
});
