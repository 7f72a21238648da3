import { createHash } from 'node:crypto';
import { CacheKeyError } from '../errors/cache-key.error';
import { CacheKeyTemplateError } from '../errors/cache-key-template.error';
import { cacheKey, normalizeCacheKey } from './cache-key';
import { compileKeyTemplate, MAX_LOGICAL_KEY_LENGTH, type KeyTemplate } from './key-template';
import { seededRandom } from '../../../../test/support/seeded-random';
import { thrownBy } from '../../../../test/support/thrown-by';

const site = { className: 'ProductService', methodName: 'findOne' };

function compile(template: KeyTemplate, declaredParamCount?: number): (args: unknown[]) => string {
  return compileKeyTemplate(template, site, declaredParamCount);
}

function templateError(run: () => unknown): CacheKeyTemplateError {
  return thrownBy(run, CacheKeyTemplateError);
}

function describeValue(value: unknown): string {
  const text = typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value);
  return text.slice(0, 20);
}

const HOSTILE_VALUES: unknown[] = [
  ':',
  '*',
  '?',
  '[',
  ']',
  '{',
  '}',
  '}:{',
  ' ',
  '\n',
  '\r\n',
  '😀',
  '\u202Eevil',
  'e\u0301',
  '%',
  '%N',
  '%U',
  '#',
  '/',
  'x'.repeat(2000),
  { '}': '{' },
  ['a b', '*'],
  new Date(0),
  null,
  undefined,
  NaN,
];

describe('compileKeyTemplate', () => {
  describe('string templates', () => {
    it('substitutes arguments by position', () => {
      expect(compile('product:{0}')([42])).toBe('product:42');
      expect(compile('product:{0}')(['42'])).toBe('product:42');
      expect(compile('product:{0}')(['a:b c'])).toBe('product:a%3Ab%20c');
      expect(compile('{0}')(['only'])).toBe('only');
      expect(compile('{0}:{0}')(['same'])).toBe('same:same');
    });

    it('follows property paths through own properties', () => {
      expect(compile('user:{0.id}:orders')([{ id: 7 }])).toBe('user:7:orders');
      expect(compile('order:{1.customer.id}:{0}')([5, { customer: { id: 'c-1' } }])).toBe(
        'order:c-1:5',
      );
      expect(compile('first:{0.items.0.sku}')([{ items: [{ sku: 'A1' }] }])).toBe('first:A1');
    });

    it('reads own properties of class instances', () => {
      class User {
        constructor(readonly id: number) {}
      }
      expect(compile('user:{0.id}')([new User(3)])).toBe('user:3');
    });

    it('accepts / as a separator and literal text around placeholders', () => {
      expect(compile('{0}/{1}')(['a', 'b'])).toBe('a/b');
      expect(compile('v1.cat-a_b:{0}x:{1}y')([1, 2])).toBe('v1.cat-a_b:1x:2y');
    });

    it('returns a constant for a template without placeholders', () => {
      const compiled = compile('products:all');
      expect(compiled([])).toBe('products:all');
      expect(compiled([1, 2])).toBe('products:all');
    });

    it('encodes an omitted trailing argument as undefined', () => {
      expect(compile('list:{0}:{1}', 2)(['a'])).toBe('list:a:%U');
      expect(compile('list:{0}:{1}', 2)(['a', null])).toBe('list:a:%N');
    });

    it.each(HOSTILE_VALUES.map((value) => [describeValue(value), value]))(
      'keeps the hostile value %j inside its segment',
      (_label, value) => {
        const key = compile('product:{0}:{1.name}')([value, { name: value }]);
        expect(key).not.toMatch(/[{}*?[\]\s]/);
        expect(key.startsWith('product:')).toBe(true);
        const wrapped = `cache:{${key}}`;
        expect(wrapped.indexOf('{')).toBe(wrapped.lastIndexOf('{'));
        expect(wrapped.indexOf('}')).toBe(wrapped.length - 1);
      },
    );

    it('does not let a value reach another entity key', () => {
      const orders = compile('user:{0}:orders');
      expect(orders(['1:orders:x'])).not.toBe(orders(['1']));
      expect(orders(['1:orders:x'])).toBe('user:1%3Aorders%3Ax:orders');
      const pair = compile('a:{0}:{1}');
      expect(pair(['x:y', 'z'])).not.toBe(pair(['x', 'y:z']));
      expect(pair(['x', 'y'])).not.toBe(compile('a:{0}')(['x:y']));
    });

    it('gives different keys to different argument tuples (property-based, seeded)', () => {
      const random = seededRandom(20240601);
      const alphabet = ['a', 'A', '1', '0', ':', '/', '%', 'N', 'U', '{', '}', ' ', '#', '-', '.'];
      alphabet.push('é', '😀', '*', '2', '5', '3', 'F', '\uD800');
      const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
      const randomText = (): string => {
        let text = '';
        const length = Math.floor(random() * 5);
        for (let i = 0; i < length; i++) text += pick(alphabet);
        return text;
      };
      const times = [0, 1, 86_400_000, 1_700_000_000_000];
      const randomValue = (): unknown => {
        const roll = random();
        if (roll < 0.35) return randomText();
        if (roll < 0.5) return pick([-2, -1, -0, 0, 1, 2, 3, 10, 1.5, 25]);
        if (roll < 0.55) return pick([NaN, Infinity, -Infinity]);
        if (roll < 0.6) return random() < 0.5;
        if (roll < 0.65) return null;
        if (roll < 0.7) return undefined;
        if (roll < 0.75) return BigInt(pick([-1, 0, 1, 2, 25]));
        if (roll < 0.8) return new Date(pick(times));
        if (roll < 0.9) return { id: random() < 0.5 ? pick([1, 2, 3]) : randomText() };
        return [pick([1, 2]), randomText()];
      };
      // What a value means, with the deliberate equivalences: a number, bigint, boolean
      // or Date is the same as its text.
      const identity = (value: unknown): string => {
        if (value === null) return 'null';
        if (value === undefined) return 'undefined';
        if (typeof value === 'number' && !Number.isFinite(value)) return `number:${value}`;
        if (value instanceof Date) return `text:${value.toISOString()}`;
        if (typeof value === 'object') return `text:${JSON.stringify(value)}`;
        if (
          typeof value === 'string' ||
          typeof value === 'number' ||
          typeof value === 'boolean' ||
          typeof value === 'bigint'
        ) {
          return `text:${String(value)}`;
        }
        throw new Error('the generator made an unexpected value');
      };

      for (const template of ['x:{0}:{1}', '{0}/{1}', 'a{0}b:{1}c']) {
        const compiled = compile(template, 2);
        const seen = new Map<string, string>();
        let sharedKeys = 0;
        for (let i = 0; i < 4000; i++) {
          const args = [randomValue(), randomValue()];
          const key = compiled(args);
          expect(key).not.toMatch(/[{}\s*]/);
          const meaning = `${identity(args[0])} | ${identity(args[1])}`;
          const previous = seen.get(key);
          if (previous === undefined) {
            seen.set(key, meaning);
          } else {
            sharedKeys++;
            if (previous !== meaning) {
              throw new Error(`${template}: ${previous} and ${meaning} share the key ${key}`);
            }
          }
        }
        // Equal tuples do come up, so the check above is exercised both ways.
        expect(sharedKeys).toBeGreaterThan(50);
        const meanings = new Set(seen.values());
        expect(meanings.size).toBe(seen.size);
      }
    });
  });

  describe('template errors', () => {
    it.each([
      ['', "key template '' is empty"],
      ['product:{0', "has an unclosed '{' at position 8"],
      ['product:{0:{1}', "has an unclosed '{' at position 8"],
      ['product:0}', "has an unmatched '}' at position 9"],
      ['product:}{0}', "has an unmatched '}' at position 8"],
      ['product:{}', "has an empty placeholder '{}' at position 8"],
      ['product:{a}', "has a malformed placeholder '{a}' at position 8"],
      ['product:{0.}', "malformed placeholder '{0.}'"],
      ['product:{.id}', "malformed placeholder '{.id}'"],
      ['product:{0..id}', "malformed placeholder '{0..id}'"],
      ['product:{ 0}', "malformed placeholder '{ 0}'"],
      ['product:{01}', "malformed placeholder '{01}'"],
      ['product:{-1}', "malformed placeholder '{-1}'"],
      ['product:{0.a-b}', "malformed placeholder '{0.a-b}'"],
      ['product:{0.__proto__}', "reads the forbidden property '__proto__' in '{0.__proto__}'"],
      ['product:{0.constructor.name}', "forbidden property 'constructor'"],
      ['product:{0.prototype}', "forbidden property 'prototype'"],
      ['product {0}', 'has the character " " at position 7'],
      ['product#{0}', 'has the character "#" at position 7'],
      ['product%{0}', 'has the character "%" at position 7'],
      ['product*:{0}', 'has the character "*" at position 7'],
      ['product?:{0}', 'has the character "?"'],
      ['product\n:{0}', 'has the character "\\n"'],
      ['prodé:{0}', 'has the character "é" at position 4'],
      ['p😀:{0}', 'has the character "😀" at position 1'],
      ['{0}{1}', "has '{0}' and '{1}' without ':' or '/' between them"],
      ['{0}-{1}', "has '{0}' and '{1}' without ':' or '/' between them"],
      ['x:{0}.{1.id}', "has '{0}' and '{1.id}' without ':' or '/' between them"],
      ['{0}ab_{1}', 'without'],
    ])('rejects %j', (template, problem) => {
      const error = templateError(() => compile(template));
      expect(error.code).toBe('CACHE_KEY_TEMPLATE');
      expect(error.message).toContain(`ProductService.findOne: key template '${template}'`);
      expect(error.message).toContain(problem);
    });

    it('rejects placeholders past the declared parameters at compile time', () => {
      const error = templateError(() => compile('product:{1}', 1));
      expect(error.message).toBe(
        "ProductService.findOne: key template 'product:{1}' names argument 1 but the method declares 1 parameter(s)",
      );
      expect(() => compile('product:{0}', 0)).toThrow('declares 0 parameter(s)');
      expect(() => compile('order:{1.customer.id}:{0}', 2)).not.toThrow();
    });

    it('rejects templates that are neither strings nor functions', () => {
      const error = templateError(() => compile(42 as unknown as string));
      expect(error.message).toContain('ProductService.findOne');
    });
  });

  describe('call-time errors', () => {
    const template = 'order:{1.customer.id}:{0}';

    it.each([
      ['a null argument', [5, null], 'argument 1 is null'],
      ['a primitive argument', [5, 'text'], 'argument 1 is a string, not an object'],
      ['a null property', [5, { customer: null }], '1.customer is null'],
      ['a number property', [5, { customer: 3 }], '1.customer is a number, not an object'],
    ])('fails on %s', (_label, args, problem) => {
      const error = templateError(() => compile(template)(args));
      expect(error.message).toBe(
        `ProductService.findOne: key template '${template}' cannot resolve '{1.customer.id}': ${problem}`,
      );
    });

    it('reads own properties only, and never an inherited one', () => {
      class WithGetter {
        get id(): number {
          return 1;
        }
      }
      const inheritedOnly = "has 'id' only through its prototype; templates read own properties";
      expect(() => compile('u:{0.id}')([new WithGetter()])).toThrow(inheritedOnly);
      expect(() => compile('u:{0.toString}')([{}])).toThrow(
        "argument 0 has 'toString' only through its prototype",
      );
      const inherited = Object.create({ id: 'parent' }) as object;
      expect(() => compile('u:{0.id}')([inherited])).toThrow(inheritedOnly);
      // Without a prototype there is nothing to inherit: absent is simply undefined.
      expect(compile('u:{0.id}')([Object.create(null)])).toBe('u:%U');
    });
  });

  describe('undefined and absent values', () => {
    const page = 'products:{0.category}:{0.page}';

    it.each([
      ['an omitted argument', []],
      ['an undefined argument', [undefined]],
      ['an absent property', [{}]],
      ['an undefined property', [{ category: undefined, page: undefined }]],
    ])('encodes %s as the undefined segment', (_label, args) => {
      expect(compile(page, 1)(args)).toBe('products:%U:%U');
    });

    it('encodes an absent or undefined step of a path as undefined', () => {
      const nested = compile('order:{1.customer.id}:{0}');
      expect(nested([5])).toBe('order:%U:5');
      expect(nested([5, undefined])).toBe('order:%U:5');
      expect(nested([5, { client: {} }])).toBe('order:%U:5');
      expect(nested([5, { customer: undefined }])).toBe('order:%U:5');
      expect(nested([5, { customer: {} }])).toBe('order:%U:5');
    });

    it('keeps undefined apart from null, the text "undefined", the empty string and lookalikes', () => {
      const compiled = compile(page, 1);
      const categories: [string, Record<string, unknown>][] = [
        ['undefined', { category: undefined }],
        ['null', { category: null }],
        ["'undefined'", { category: 'undefined' }],
        ["'null'", { category: 'null' }],
        ["''", { category: '' }],
        ["'%U'", { category: '%U' }],
        ["'%N'", { category: '%N' }],
        ["'U'", { category: 'U' }],
        ['false', { category: false }],
        ['0', { category: 0 }],
        ['NaN', { category: NaN }],
        ['{}', { category: {} }],
        ['[]', { category: [] }],
      ];
      const keys = new Map<string, string>();
      for (const [label, query] of categories) {
        const key = compiled([{ ...query, page: 1 }]);
        expect(keys.get(key)).toBeUndefined();
        keys.set(key, label);
      }
      // An absent field is the same query as an undefined one, as in JSON and stable JSON.
      expect(compiled([{ page: 1 }])).toBe(compiled([{ category: undefined, page: 1 }]));
      expect(keys.get(compiled([{ page: 1 }]))).toBe('undefined');
    });

    it('gives cacheKey the same key for the same values', () => {
      const compiled = compile(page, 1);
      const queries: Record<string, unknown>[] = [
        {},
        { category: undefined },
        { category: null, page: 2 },
        { category: 'undefined', page: undefined },
        { category: '', page: 3 },
      ];
      for (const query of queries) {
        expect(compiled([query])).toBe(cacheKey('products', query.category, query.page));
      }
      expect(compile('list:{0}:{1}', 2)(['a'])).toBe(cacheKey('list', 'a', undefined));
    });

    it('still forbids __proto__, constructor and prototype in a path', () => {
      expect(() => compile('u:{0.__proto__.id}')).toThrow("forbidden property '__proto__'");
      expect(() => compile('u:{0.a.constructor}')).toThrow("forbidden property 'constructor'");
    });

    it('reports values with no key form as CacheKeyError naming the site', () => {
      let error: unknown;
      try {
        compile('product:{0}')([() => 1]);
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(CacheKeyError);
      expect((error as CacheKeyError).message).toContain(
        "ProductService.findOne: key template 'product:{0}': {0}: a function cannot be part of a cache key",
      );
    });
  });

  describe('function templates', () => {
    it('encodes returned arrays segment by segment, joined with :', () => {
      const compiled = compile((id: string, page: number) => ['search', id, page]);
      expect(compiled(['a:b', 2])).toBe('search:a%3Ab:2');
      expect(compiled(['x', undefined])).toBe('search:x:%U');
    });

    it('matches cacheKey and the equivalent string template', () => {
      const fromFunction = compile((id: unknown) => ['product', id]);
      const fromString = compile('product:{0}');
      for (const id of [1, 'a b', null, { x: 1 }]) {
        expect(fromFunction([id])).toBe(fromString([id]));
        expect(cacheKey('product', id)).toBe(fromString([id]));
      }
    });

    it('uses returned strings as they are', () => {
      expect(compile((id: number) => `product:${id}`)([3])).toBe('product:3');
      expect(compile(() => 'with space and ~!@$%^&*()')([])).toBe('with space and ~!@$%^&*()');
    });

    it.each([
      ['an empty string', '', 'returned an empty string'],
      ['an opening brace', 'a{b', 'returned "a{b"'],
      ['a closing brace', 'a}b', 'returned "a}b"'],
      ['a #', 'a#b', 'returned "a#b"'],
      ['a newline', 'a\nb', 'returned "a\\nb"'],
      ['a tab', 'a\tb', 'returned'],
      ['non-ASCII', 'café', 'returned "café"'],
      ['an emoji', '😀', 'returned'],
    ])('rejects a returned string with %s', (_label, key, problem) => {
      const error = templateError(() => compile(() => key)([]));
      expect(error.message).toContain('ProductService.findOne: key template function');
      expect(error.message).toContain(problem);
    });

    it.each([
      ['a number', 5, 'returned number'],
      ['undefined', undefined, 'returned undefined'],
      ['null', null, 'returned null'],
      ['an object', { key: 'x' }, 'returned object'],
      ['an empty array', [], 'returned an empty array'],
      ['an array of one empty string', [''], 'returned an empty key'],
    ])('rejects %s', (_label, result, problem) => {
      const error = templateError(() => compile(() => result as unknown as string)([]));
      expect(error.message).toContain(`ProductService.findOne: key template function ${problem}`);
    });

    it('wraps errors thrown by the function', () => {
      const boom = new Error('boom');
      const error = templateError(() =>
        compile(() => {
          throw boom;
        })([]),
      );
      expect(error.message).toBe('ProductService.findOne: key template function threw: boom');
      expect(error.cause).toBe(boom);
    });

    it('reports array parts with no key form as CacheKeyError naming the site', () => {
      expect(() => compile(() => ['x', Symbol('s')])([])).toThrow(CacheKeyError);
      expect(() => compile(() => ['x', Symbol('s')])([])).toThrow(
        'ProductService.findOne: key template function: a symbol cannot be part of a cache key',
      );
    });
  });

  describe('long keys', () => {
    const sha = (key: string): string => createHash('sha256').update(key).digest('base64url');

    it('keeps keys up to the limit and hashes longer ones', () => {
      const compiled = compile('product:{0}');
      const fits = 'x'.repeat(MAX_LOGICAL_KEY_LENGTH - 'product:'.length);
      expect(compiled([fits])).toBe(`product:${fits}`);
      const tooLong = `${fits}y`;
      expect(compiled([tooLong])).toBe(`product:#${sha(`product:${tooLong}`)}`);
      expect(MAX_LOGICAL_KEY_LENGTH).toBe(512);
    });

    it('hashes keys made long by escaping', () => {
      const key = compile('product:{0}')(['{'.repeat(200)]);
      expect(key).toMatch(/^product:#[A-Za-z0-9_-]{43}$/);
    });

    it('keeps the text up to the last : within the first 64 characters', () => {
      const literal = `${'a'.repeat(70)}:`;
      const key = compile(`${literal}{0}`)(['x'.repeat(600)]);
      expect(key).toBe(`#${sha(`${literal}${'x'.repeat(600)}`)}`);
      expect(compile('shop:product:{0}')(['x'.repeat(600)])).toBe(
        `shop:product:#${sha(`shop:product:${'x'.repeat(600)}`)}`,
      );
      expect(compile('{0}:tail')(['x'.repeat(600)])).toMatch(/^#[A-Za-z0-9_-]{43}$/);
    });

    it('hashes a long constant template', () => {
      const template = `c:${'z'.repeat(600)}`;
      expect(compile(template)([])).toBe(`c:#${sha(template)}`);
    });

    it('gives distinct long keys distinct hashes, never equal to an unhashed key', () => {
      const compiled = compile('doc:{0}:{1}');
      const keys = new Set<string>();
      for (let i = 0; i < 1000; i++) keys.add(compiled(['p'.repeat(600), i]));
      expect(keys.size).toBe(1000);
      for (const key of keys) {
        expect(key).toMatch(/^doc:#[A-Za-z0-9_-]{43}$/);
        expect(key).not.toMatch(/[{}]/);
      }
      // '#' can't come out of a value or a literal, so no short key looks hashed.
      expect(compiled(['#', '#'])).toBe('doc:%23:%23');
    });

    it('hashes long keys from function templates by the same rule', () => {
      const long = 'y'.repeat(600);
      expect(compile((id: string) => ['product', id])([long])).toBe(compile('product:{0}')([long]));
      expect(compile(() => `search:${long}`)([])).toBe(`search:#${sha(`search:${long}`)}`);
      expect(compile(() => long)([])).toBe(`#${sha(long)}`);
    });

    it('a template and the same key built in code name one Redis key, for any arguments (property-based, seeded)', () => {
      const random = seededRandom(20261130);
      const pieces = ['x', 'é', '😀', '{', '}', ':', '/', '#', '%', ' ', '\n', 'a'.repeat(97)];
      const randomValue = (): unknown => {
        const roll = random();
        if (roll < 0.1) return Math.floor(random() * 1e6);
        if (roll < 0.15) return undefined;
        if (roll < 0.2) return null;
        let text = '';
        const length = Math.floor(random() * 40);
        for (let i = 0; i < length; i++) text += pieces[Math.floor(random() * pieces.length)];
        return text;
      };
      const templates: Array<[string, (args: unknown[]) => string]> = [
        ['shop:product:{0}', (args) => cacheKey('shop', 'product', args[0])],
        ['shop:product:{0}:{1}', (args) => cacheKey('shop', 'product', args[0], args[1])],
        ['{0}:reviews', (args) => cacheKey(args[0], 'reviews')],
        [`${'n'.repeat(80)}:{0}`, (args) => cacheKey('n'.repeat(80), args[0])],
      ];
      let hashed = 0;
      for (let i = 0; i < 400; i++) {
        const args = [randomValue(), randomValue()];
        for (const [template, inCode] of templates) {
          const fromTemplate = compile(template)(args);
          expect(normalizeCacheKey(inCode(args))).toBe(fromTemplate);
          if (fromTemplate.includes('#')) hashed++;
        }
      }
      expect(hashed).toBeGreaterThan(100); // the property was exercised on long keys too
    });
  });
});

describe('cacheKey', () => {
  it('encodes and joins its parts', () => {
    expect(cacheKey('product', 42)).toBe('product:42');
    expect(cacheKey('user', 'a:b', null, undefined)).toBe('user:a%3Ab:%N:%U');
    expect(cacheKey({ b: 1, a: 2 })).toBe(cacheKey({ a: 2, b: 1 }));
  });

  it('needs at least one part and encodable parts', () => {
    expect(() => cacheKey()).toThrow(CacheKeyError);
    expect(() => cacheKey('x', () => 1)).toThrow(CacheKeyError);
  });
});

describe('normalizeCacheKey', () => {
  it('passes short keys through and hashes long ones like templates do', () => {
    expect(normalizeCacheKey('product:42')).toBe('product:42');
    const long = cacheKey('product', 'q'.repeat(600));
    const hashed = normalizeCacheKey(long);
    expect(hashed).toBe(compile('product:{0}')(['q'.repeat(600)]));
    expect(normalizeCacheKey(hashed)).toBe(hashed);
  });

  it.each(['', 'a{b', 'a}b', 'tab\there', 'é', '\n'])('rejects %j', (key) => {
    expect(() => normalizeCacheKey(key)).toThrow(CacheKeyError);
  });

  it('rejects non-strings', () => {
    expect(() => normalizeCacheKey(42 as unknown as string)).toThrow(CacheKeyError);
  });
});
