import { runInNewContext } from 'node:vm';
import { CacheAsideError } from '../errors/cache-aside.error';
import { CacheCorruptEntryError } from '../errors/cache-corrupt-entry.error';
import { CacheSerializationError } from '../errors/cache-serialization.error';
import { decodeValue, encodeValue } from './value-codec';
import { seededRandom } from '../../../../test/support/seeded-random';
import { thrownBy } from '../../../../test/support/thrown-by';

function roundTrip<T>(value: T): unknown {
  return decodeValue(encodeValue(value));
}

function encodeError(value: unknown): CacheSerializationError {
  return thrownBy(() => encodeValue(value), CacheSerializationError);
}

function decodeError(text: string): CacheCorruptEntryError {
  return thrownBy(() => decodeValue(text), CacheCorruptEntryError);
}

class Rating {
  constructor(
    public average: number,
    public reviewedAt: Date,
  ) {}
}

class ProductEntity {
  id = 7;
  name = 'Trail shoe';
  createdAt = new Date('2024-03-01T09:30:00.000Z');
  deletedAt: Date | undefined = undefined;
  rating = new Rating(4.5, new Date('2025-01-02T03:04:05.678Z'));
  pricesByRegion = new Map<string, Date | number>([
    ['eu', 10],
    ['us', new Date(0)],
  ]);

  get displayName(): string {
    return `#${this.id} ${this.name}`;
  }

  describe(): string {
    return this.name;
  }
}

class Decimal {
  constructor(private readonly digits: string) {}

  toJSON(): string {
    return this.digits;
  }
}

describe('value codec', () => {
  afterAll(() => {
    expect(({} as any).polluted).toBeUndefined();
    expect(Object.prototype.hasOwnProperty.call(Object.prototype, 'polluted')).toBe(false);
  });

  describe('plain JSON fast path', () => {
    it('writes J + JSON when nothing needs an annotation', () => {
      const value = { id: 1, name: 'x', tags: ['a', 'b'], nested: { ok: true, none: null } };
      expect(encodeValue(value)).toBe(`J${JSON.stringify(value)}`);
      expect(roundTrip(value)).toStrictEqual(value);
    });

    it('does not copy or change the input', () => {
      const value = { when: new Date(5), list: [1, undefined] };
      encodeValue(value);
      expect(value.when).toBeInstanceOf(Date);
      expect(value.list).toHaveLength(2);
    });

    it.each([
      ['null', null],
      ['zero', 0],
      ['empty string', ''],
      ['false', false],
      ['true', true],
      ['a float', -12.5],
      ['the string J', 'J'],
      ['the string A', 'A'],
      ['a string that looks like a payload', 'J{"a":1}'],
      ['a string that looks like an annotated payload', 'A[0,[[[],"u"]]]'],
      ['unicode', 'héllo 😀 \u202Eevil \u0000'],
      ['a lone surrogate', '\uD800x\uDFFF'],
      ['MAX_SAFE_INTEGER', Number.MAX_SAFE_INTEGER],
      ['MIN_VALUE', Number.MIN_VALUE],
    ])('round trips %s at the top level', (_label, value) => {
      const text = encodeValue(value);
      expect(text[0]).toBe('J');
      expect(decodeValue(text)).toBe(value);
    });

    it('round trips an empty object and an empty array', () => {
      expect(roundTrip({})).toStrictEqual({});
      expect(roundTrip([])).toStrictEqual([]);
    });

    it('round trips a large array of plain values without annotations', () => {
      const big = Array.from({ length: 100_000 }, (_, i) => (i % 3 === 0 ? `s${i}` : i));
      const text = encodeValue(big);
      expect(text[0]).toBe('J');
      expect(decodeValue(text)).toStrictEqual(big);
    });
  });

  describe('special values', () => {
    it('keeps Dates, Maps, Sets and RegExps made in another realm (a vm context)', () => {
      const foreign = runInNewContext(
        '({ at: new Date(5), byId: new Map([[1, 2]]), tags: new Set([3]), re: /x/g })',
      ) as Record<string, unknown>;
      const decoded = roundTrip(foreign) as Record<string, unknown>;
      expect(decoded.at).toEqual(new Date(5));
      expect(decoded.byId).toEqual(new Map([[1, 2]]));
      expect(decoded.tags).toEqual(new Set([3]));
      expect(decoded.re).toEqual(/x/g);
    });

    it('round trips undefined at the top level', () => {
      const text = encodeValue(undefined);
      expect(text[0]).toBe('A');
      expect(decodeValue(text)).toBeUndefined();
    });

    it('keeps undefined properties as own properties', () => {
      const decoded = roundTrip({ a: undefined, b: 1 }) as Record<string, unknown>;
      expect(Object.keys(decoded)).toEqual(['a', 'b']);
      expect(decoded.a).toBeUndefined();
    });

    it('keeps property order when it has to copy an object', () => {
      const decoded = roundTrip({ first: 1, second: undefined, third: new Date(1), fourth: 'x' });
      expect(Object.keys(decoded as object)).toEqual(['first', 'second', 'third', 'fourth']);
    });

    it('tells undefined array elements from holes', () => {
      // eslint-disable-next-line no-sparse-arrays
      const sparse = [1, , undefined, 4, ,];
      const decoded = roundTrip(sparse) as unknown[];
      expect(decoded).toHaveLength(5);
      expect(1 in decoded).toBe(false);
      expect(2 in decoded).toBe(true);
      expect(decoded[2]).toBeUndefined();
      expect(4 in decoded).toBe(false);
      expect(decoded).toStrictEqual(sparse);
    });

    it('round trips an array made only of holes', () => {
      const decoded = roundTrip(new Array(3)) as unknown[];
      expect(decoded).toHaveLength(3);
      expect(Object.keys(decoded)).toEqual([]);
    });

    it.each([
      ['NaN', NaN],
      ['Infinity', Infinity],
      ['-Infinity', -Infinity],
      ['-0', -0],
    ])('round trips %s anywhere', (_label, value) => {
      expect(Object.is(roundTrip(value), value)).toBe(true);
      const decoded = roundTrip({ n: value, list: [value, 1], deep: { n: value } }) as any;
      expect(Object.is(decoded.n, value)).toBe(true);
      expect(Object.is(decoded.list[0], value)).toBe(true);
      expect(Object.is(decoded.deep.n, value)).toBe(true);
    });

    it('keeps +0 as +0', () => {
      expect(Object.is(roundTrip(0), 0)).toBe(true);
      expect(encodeValue(0)).toBe('J0');
    });

    it.each([0n, -5n, 2n ** 53n + 1n, -(2n ** 64n) - 3n, 10n ** 40n])(
      'round trips the BigInt %s',
      (value) => {
        expect(roundTrip(value)).toBe(value);
        expect(roundTrip({ big: [value] })).toEqual({ big: [value] });
      },
    );

    it('round trips Dates, including invalid ones and times before 1970', () => {
      const dates = [
        new Date('2024-02-29T12:34:56.789Z'),
        new Date(0),
        new Date(-86_400_000 * 365 * 100),
        new Date(8.64e15),
      ];
      for (const date of dates) {
        const decoded = roundTrip(date) as Date;
        expect(decoded).toBeInstanceOf(Date);
        expect(decoded.getTime()).toBe(date.getTime());
      }
      const invalid = roundTrip(new Date('not a date')) as Date;
      expect(invalid).toBeInstanceOf(Date);
      expect(Number.isNaN(invalid.getTime())).toBe(true);
      const nested = roundTrip({ when: [new Date(NaN)] }) as { when: Date[] };
      expect(nested.when[0]).toBeInstanceOf(Date);
      expect(Number.isNaN(nested.when[0].getTime())).toBe(true);
    });

    it('round trips Maps with special and nested keys and values', () => {
      const objectKey = { id: 1 };
      const map = new Map<unknown, unknown>([
        ['a', 1],
        [2, 'two'],
        [new Date(3), new Date(4)],
        [undefined, NaN],
        [10n, -0],
        [objectKey, new Map([['inner', new Set([new Date(5)])]])],
        [null, undefined],
      ]);
      const decoded = roundTrip(map) as Map<unknown, unknown>;
      expect(decoded).toBeInstanceOf(Map);
      expect(decoded).toEqual(map);
      const keys = [...decoded.keys()];
      expect(keys[2]).toEqual(new Date(3));
      expect(keys[3]).toBeUndefined();
      expect(keys[4]).toBe(10n);
      expect(Object.is(decoded.get(10n), -0)).toBe(true);
      expect(Number.isNaN(decoded.get(undefined))).toBe(true);
      expect(decoded.has(null)).toBe(true);
      expect(roundTrip(new Map())).toEqual(new Map());
    });

    it('round trips Sets, in insertion order', () => {
      const set = new Set<unknown>([3, 'x', new Date(1), undefined, 5n, new Set([1]), { a: 1 }]);
      const decoded = roundTrip(set) as Set<unknown>;
      expect(decoded).toBeInstanceOf(Set);
      expect(decoded).toEqual(set);
      expect([...decoded][0]).toBe(3);
      expect(roundTrip(new Set())).toEqual(new Set());
    });

    it('round trips RegExps with source and flags', () => {
      for (const regexp of [/a+b/giu, /\/path\/[^/]+$/m, new RegExp(''), /(?<year>\d{4})/dsy]) {
        const decoded = roundTrip(regexp) as RegExp;
        expect(decoded).toBeInstanceOf(RegExp);
        expect(decoded.source).toBe(regexp.source);
        expect(decoded.flags).toBe(regexp.flags);
      }
    });

    it('round trips Buffers as Buffers', () => {
      for (const buffer of [Buffer.from([0, 1, 254, 255]), Buffer.alloc(0), Buffer.from('héllo')]) {
        const decoded = roundTrip({ buffer }) as { buffer: Buffer };
        expect(Buffer.isBuffer(decoded.buffer)).toBe(true);
        expect(decoded.buffer.equals(buffer)).toBe(true);
      }
    });

    it('round trips Uint8Arrays as Uint8Arrays, views included', () => {
      const bytes = new Uint8Array([9, 8, 7, 6, 5]);
      const view = bytes.subarray(1, 4);
      for (const array of [bytes, view, new Uint8Array(0)]) {
        const decoded = roundTrip([array]) as Uint8Array[];
        expect(decoded[0]).toBeInstanceOf(Uint8Array);
        expect(Buffer.isBuffer(decoded[0])).toBe(false);
        expect([...decoded[0]]).toEqual([...array]);
      }
    });

    it('unwraps boxed primitives like JSON does', () => {
      expect(roundTrip([new String('s'), new Number(2), new Boolean(false)])).toEqual([
        's',
        2,
        false,
      ]);
      expect(Number.isNaN(roundTrip(new Number(NaN)))).toBe(true);
    });
  });

  describe('class instances and toJSON', () => {
    it('stores own enumerable properties, keeping special values inside', () => {
      const decoded = roundTrip(new ProductEntity()) as Record<string, unknown>;
      expect(Object.getPrototypeOf(decoded)).toBe(Object.prototype);
      expect(decoded).toStrictEqual({
        id: 7,
        name: 'Trail shoe',
        createdAt: new Date('2024-03-01T09:30:00.000Z'),
        deletedAt: undefined,
        rating: { average: 4.5, reviewedAt: new Date('2025-01-02T03:04:05.678Z') },
        pricesByRegion: new Map<string, Date | number>([
          ['eu', 10],
          ['us', new Date(0)],
        ]),
      });
      expect('displayName' in decoded).toBe(false);
    });

    it('round trips a Map of Dates inside a class instance inside an array', () => {
      class Schedule {
        constructor(readonly slots: Map<string, Date[]>) {}
      }
      const value = [
        new Schedule(new Map([['mon', [new Date(1), new Date(2)]]])),
        { plain: new Schedule(new Map()) },
      ];
      expect(roundTrip(value)).toStrictEqual([
        { slots: new Map([['mon', [new Date(1), new Date(2)]]]) },
        { plain: { slots: new Map() } },
      ]);
    });

    it('encodes objects with toJSON via toJSON, like JSON', () => {
      expect(roundTrip({ price: new Decimal('10.50') })).toStrictEqual({ price: '10.50' });
      const withKey = {
        toJSON(key: string) {
          return { key, at: new Date(9) };
        },
      };
      expect(roundTrip({ field: withKey })).toStrictEqual({
        field: { key: 'field', at: new Date(9) },
      });
    });

    it('calls toJSON once even when it returns the object itself', () => {
      let calls = 0;
      const selfish = {
        a: 1,
        toJSON() {
          calls++;
          return { a: this.a };
        },
      };
      expect(roundTrip(selfish)).toStrictEqual({ a: 1 });
      expect(calls).toBe(1);
    });

    it('treats null-prototype objects as plain objects', () => {
      const bare = Object.assign(Object.create(null) as object, { a: new Date(1), b: 2 });
      expect(roundTrip(bare)).toStrictEqual({ a: new Date(1), b: 2 });
    });

    it('drops symbol-keyed and non-enumerable properties, as JSON does', () => {
      const value = { a: 1, [Symbol('s')]: 2 };
      Object.defineProperty(value, 'hidden', { value: 3, enumerable: false });
      expect(roundTrip(value)).toStrictEqual({ a: 1 });
    });

    it('duplicates an object reached twice without a cycle', () => {
      const shared = { at: new Date(1) };
      const decoded = roundTrip({ left: shared, right: shared, list: [shared, shared] }) as any;
      expect(decoded.left).toEqual(shared);
      expect(decoded.right).toEqual(shared);
      expect(decoded.list[1]).toEqual(shared);
      expect(decoded.left).not.toBe(decoded.right);
    });
  });

  describe('awkward keys', () => {
    it('round trips keys like $, constructor, prototype and toString', () => {
      const value = {
        $: 1,
        constructor: 'c',
        prototype: { x: 1 },
        toString: 'not a function',
        hasOwnProperty: 0,
        '': 'empty',
        'a.b': 2,
        '0': 'zero',
        'with "quotes"': new Date(3),
      };
      const decoded = roundTrip(value) as Record<string, unknown>;
      expect(decoded).toStrictEqual(value);
      expect(Object.getPrototypeOf(decoded)).toBe(Object.prototype);
    });

    it('round trips an own __proto__ key without changing any prototype', () => {
      const value = JSON.parse('{"__proto__":{"polluted":1},"a":1}') as Record<string, unknown>;
      for (const decoded of [
        roundTrip(value),
        // A Date forces the object to be copied, which must not use the __proto__ setter.
        roundTrip({ ...{ at: new Date(1) }, ...value }),
        roundTrip([value, undefined]),
      ]) {
        const object: object = Array.isArray(decoded) ? decoded[0] : decoded;
        expect(Object.getPrototypeOf(object)).toBe(Object.prototype);
        expect(Object.hasOwn(object, '__proto__')).toBe(true);
        expect((object as { polluted?: unknown }).polluted).toBeUndefined();
        expect(Object.getOwnPropertyDescriptor(object, '__proto__')?.value).toEqual({
          polluted: 1,
        });
      }
    });

    it('copies an own __proto__ key of a class instance as data', () => {
      class Holder {
        at = new Date(2);
      }
      const holder = new Holder();
      Object.defineProperty(holder, '__proto__', {
        value: { polluted: 1 },
        enumerable: true,
        writable: true,
        configurable: true,
      });
      const decoded = roundTrip(holder) as object;
      expect(Object.getPrototypeOf(decoded)).toBe(Object.prototype);
      expect(Object.getOwnPropertyDescriptor(decoded, '__proto__')?.value).toEqual({
        polluted: 1,
      });
    });
  });

  describe('larger values', () => {
    it('round trips a large array of Dates', () => {
      const dates = Array.from({ length: 10_000 }, (_, i) => new Date(i * 1000));
      expect(roundTrip(dates)).toStrictEqual(dates);
    });

    it('round trips a deeply mixed structure', () => {
      const value = {
        list: [
          new Map<unknown, unknown>([[new Date(1), [undefined, { n: NaN, big: 1n }]]]),
          new Set([new Map([[1, new Set([Buffer.from('x')])]])]),
        ],
        regexps: { r: /x/g },
      };
      expect(roundTrip(value)).toStrictEqual(value);
    });

    it('annotates in post-order so children are revived before parents', () => {
      const text = encodeValue(new Map([[new Date(1), 1]]));
      const [, annotations] = JSON.parse(text.slice(1)) as [unknown, [unknown[], string][]];
      expect(annotations.map(([, tag]) => tag)).toEqual(['D', 'M']);
    });
  });

  describe('values that cannot be stored', () => {
    it.each([
      ['a function', () => 1, 'function'],
      ['a class', class Thing {}, 'function'],
      ['a symbol', Symbol('s'), 'symbol'],
      ['a WeakMap', new WeakMap(), 'WeakMap'],
      ['a WeakSet', new WeakSet(), 'WeakSet'],
      ['a Promise', Promise.resolve(1), 'Promise'],
      ['a WeakRef', new WeakRef({}), 'WeakRef'],
      ['an Error', new Error('boom'), 'Error'],
      ['an Int32Array', new Int32Array(2), 'Int32Array'],
      ['an ArrayBuffer', new ArrayBuffer(2), 'ArrayBuffer'],
      ['a DataView', new DataView(new ArrayBuffer(2)), 'DataView'],
    ])('rejects %s, naming it and its path', (_label, value, name) => {
      const top = encodeError(value);
      expect(top.code).toBe('CACHE_SERIALIZATION');
      expect(top).toBeInstanceOf(CacheAsideError);
      expect(top.message).toContain(name);
      expect(top.message).toContain('(at $)');
      const nested = encodeError({ a: { 'b c': [1, value] } });
      expect(nested.message).toContain('$.a["b c"][1]');
    });

    it('names the path inside Maps and Sets', () => {
      expect(encodeError({ m: new Map([['k', () => 1]]) }).message).toContain('$.m[0][1]');
      expect(encodeError({ s: new Set([1, Symbol('x')]) }).message).toContain('$.s[1]');
    });

    it('rejects cycles, naming where they close', () => {
      const self: Record<string, unknown> = { name: 'root' };
      self.self = self;
      const error = encodeError({ wrapper: self });
      expect(error.message).toContain('cyclic');
      expect(error.message).toContain('$.wrapper.self');
      expect(error.message).toContain('back to $.wrapper');

      const array: unknown[] = [1];
      array.push(array);
      expect(encodeError(array).message).toContain('cyclic');

      const map = new Map<string, unknown>();
      map.set('me', map);
      expect(encodeError(map).message).toContain('cyclic');

      const set = new Set<unknown>();
      set.add({ set });
      expect(encodeError(set).message).toContain('cyclic');

      const entity = new ProductEntity() as ProductEntity & { parent?: unknown };
      entity.parent = { child: entity };
      expect(encodeError([entity]).message).toContain('$[0].parent.child');
    });

    it('wraps errors from getters and toJSON with the path', () => {
      const value = {
        ok: 1,
        get broken(): number {
          throw new Error('getter failed');
        },
      };
      const error = encodeError({ nested: value });
      expect(error.message).toContain('$.nested.broken');
      expect(error.message).toContain('getter failed');
      expect(error.cause).toBeInstanceOf(Error);
    });

    it('fails cleanly on nesting deep enough to exhaust the stack', () => {
      let deep: unknown = 'bottom';
      for (let i = 0; i < 200_000; i++) deep = { next: deep };
      const error = encodeError(deep);
      expect(error.message.length).toBeLessThan(1000);
    });
  });

  describe('corrupt and hostile text', () => {
    it.each([
      ['empty text', ''],
      ['an unknown marker', 'X{}'],
      ['a lower-case marker', 'j{}'],
      ['bare JSON', '{"a":1}'],
    ])('rejects %s', (_label, text) => {
      const error = decodeError(text);
      expect(error.code).toBe('CACHE_CORRUPT_ENTRY');
      expect(error).toBeInstanceOf(CacheAsideError);
    });

    it('rejects values that are not strings', () => {
      expect(() => decodeValue(null as unknown as string)).toThrow(CacheCorruptEntryError);
      expect(() => decodeValue(Buffer.from('J1') as unknown as string)).toThrow(
        CacheCorruptEntryError,
      );
    });

    it.each([
      ['J', 'J'],
      ['J{', 'J{'],
      ['A', 'A'],
      ['A[1,', 'A[1,'],
      ['J with trailing garbage', 'J{}x'],
    ])('rejects bad JSON (%s) with the parse error as cause', (_label, text) => {
      const error = decodeError(text);
      expect(error.cause).toBeInstanceOf(SyntaxError);
    });

    it.each([
      ['not an array', 'A{}'],
      ['one element', 'A[1]'],
      ['three elements', 'A[1,[],3]'],
      ['annotations not an array', 'A[1,{}]'],
      ['an annotation that is not a pair', 'A[{},[1]]'],
      ['an annotation without a tag', 'A[{},[[["a"]]]]'],
      ['a path that is not an array', 'A[{"a":0},[["a","u"]]]'],
      ['a missing property', 'A[{},[[["a"],"u"]]]'],
      ['a path through a primitive', 'A[{"a":1},[[["a","b"],"u"]]]'],
      ['a path through null', 'A[{"a":null},[[["a","b"],"u"]]]'],
      ['an array index given as a string', 'A[[0],[[["0"],"u"]]]'],
      ['an array length', 'A[[0],[[["length"],"u"]]]'],
      ['a negative index', 'A[[0],[[[-1],"u"]]]'],
      ['a fractional index', 'A[[0,0],[[[0.5],"u"]]]'],
      ['an index past the end', 'A[[0],[[[1],"u"]]]'],
      ['an object key given as a number', 'A[{"0":0},[[[0],"u"]]]'],
      ['a path segment that is an array', 'A[{"a":0},[[[["a"]],"u"]]]'],
      ['an unknown tag', 'A[0,[[[],"Z"]]]'],
      ['a tag that is not a string', 'A[0,[[[],1]]]'],
      ['undefined over a value', 'A[1,[[[],"u"]]]'],
      ['NaN over a value', 'A["x",[[[],"N"]]]'],
      ['the same place annotated twice', 'A[0,[[[],"u"],[[],"u"]]]'],
      ['a Date stored as a string', 'A["2020-01-01",[[[],"D"]]]'],
      ['a BigInt with a fraction', 'A["1.5",[[[],"b"]]]'],
      ['a BigInt in hex', 'A["0x10",[[[],"b"]]]'],
      ['a BigInt with spaces', 'A[" 1",[[[],"b"]]]'],
      ['an empty BigInt', 'A["",[[[],"b"]]]'],
      ['a BigInt stored as a number', 'A[1,[[[],"b"]]]'],
      ['a Map that is not an array', 'A[{},[[[],"M"]]]'],
      ['a Map with a non-pair entry', 'A[[[1,2,3]],[[[],"M"]]]'],
      ['a Set that is not an array', 'A["x",[[[],"S"]]]'],
      ['a RegExp without flags', 'A[["a"],[[[],"R"]]]'],
      ['a RegExp with numbers', 'A[[1,2],[[[],"R"]]]'],
      ['an invalid RegExp', 'A[["(","g"],[[[],"R"]]]'],
      ['invalid RegExp flags', 'A[["a","zz"],[[[],"R"]]]'],
      ['a Buffer that is not base64', 'A["**",[[[],"B"]]]'],
      ['a Buffer stored as an array', 'A[[1,2],[[[],"B"]]]'],
      ['a Uint8Array stored as a number', 'A[1,[[[],"U8"]]]'],
      ['a hole at the root', 'A[0,[[[],"h"]]]'],
      ['a hole in an object', 'A[{"a":0},[[["a"],"h"]]]'],
      ['a hole over a value', 'A[[1],[[[0],"h"]]]'],
      ['a path into a revived Map', 'A[[[1,0]],[[[],"M"],[[0,1],"u"]]]'],
      ['a path into a revived Buffer', 'A["AAA=",[[[],"B"],[[0],"u"]]]'],
      ['a path into a revived Date', 'A[{"t":0},[[["t"],"D"],[["t","x"],"u"]]]'],
    ])('rejects %s', (_label, text) => {
      const error = decodeError(text);
      expect(error.message).toMatch(/annotation|annotated/);
    });

    it.each([
      ['__proto__ that is not own', 'A[{},[[["__proto__"],"u"]]]'],
      ['__proto__.polluted', 'A[{},[[["__proto__","polluted"],"D"]]]'],
      ['constructor.prototype', 'A[{},[[["constructor","prototype","polluted"],"D"]]]'],
      ['prototype', 'A[{},[[["prototype"],"u"]]]'],
      ['an array __proto__', 'A[[0],[[["__proto__","polluted"],"u"]]]'],
      ['toString', 'A[{},[[["toString"],"u"]]]'],
    ])('rejects a path through an inherited %s', (_label, text) => {
      decodeError(text);
      expect(({} as any).polluted).toBeUndefined();
      expect(typeof Object.prototype.toString).toBe('function');
    });

    it('keeps own __proto__ and constructor keys of the payload as plain data', () => {
      const viaProto = decodeValue(
        'A[{"__proto__":{"polluted":0}},[[["__proto__","polluted"],"D"]]]',
      ) as object;
      expect(Object.getPrototypeOf(viaProto)).toBe(Object.prototype);
      expect(Object.getOwnPropertyDescriptor(viaProto, '__proto__')?.value).toEqual({
        polluted: new Date(0),
      });

      const viaConstructor = decodeValue(
        'A[{"constructor":{"prototype":{"polluted":0}}},[[["constructor","prototype","polluted"],"u"]]]',
      ) as any;
      expect(viaConstructor.constructor.prototype).toEqual({ polluted: undefined });

      const plain = decodeValue('J{"__proto__":{"polluted":1},"constructor":{"prototype":1}}');
      expect(Object.getPrototypeOf(plain)).toBe(Object.prototype);
      expect(Object.hasOwn(plain as object, '__proto__')).toBe(true);

      const map = decodeValue('A[[["__proto__",{"polluted":1}]],[[[],"M"]]]') as Map<
        string,
        unknown
      >;
      expect(map.get('__proto__')).toEqual({ polluted: 1 });

      expect(({} as any).polluted).toBeUndefined();
      expect(([] as any).polluted).toBeUndefined();
    });

    it('never fails with anything but CacheCorruptEntryError on truncated or mangled text', () => {
      const text = encodeValue({
        a: [new Date(1), undefined, NaN, 5n, new Map([[new Set([1]), /x/g]])],
        // eslint-disable-next-line no-sparse-arrays
        b: [Buffer.from('hi'), new Uint8Array([1]), -0, , Infinity],
      });
      const random = seededRandom(42);
      const alphabet = '[]{}",:0123456789-uhNIbDMSRBU8_proto$\\ ';
      const candidates: string[] = [];
      for (let end = 0; end < text.length; end++) candidates.push(text.slice(0, end));
      for (let i = 0; i < 3000; i++) {
        const at = Math.floor(random() * text.length);
        const replacement = alphabet[Math.floor(random() * alphabet.length)];
        candidates.push(text.slice(0, at) + replacement + text.slice(at + 1));
      }
      for (const candidate of candidates) {
        try {
          decodeValue(candidate);
        } catch (error) {
          if (!(error instanceof CacheCorruptEntryError)) {
            throw new Error(`unexpected ${String(error)} for ${candidate}`);
          }
        }
      }
      expect(({} as any).polluted).toBeUndefined();
    });
  });
});
