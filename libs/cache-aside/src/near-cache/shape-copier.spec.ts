import { decodeValue, encodeValue } from '../serialization/value-codec';
import { compiledShapeCount, copierFor } from './shape-copier';
import { copyValue } from './value-copy';

/** Every object reachable from `value` (arrays, plain objects, Dates, Maps, Sets...). */
function objectsIn(value: unknown, found: object[] = []): object[] {
  if (typeof value !== 'object' || value === null) return found;
  found.push(value);
  if (value instanceof Map) for (const [k, v] of value) [k, v].forEach((x) => objectsIn(x, found));
  else if (value instanceof Set) for (const item of value) objectsIn(item, found);
  else if (!ArrayBuffer.isView(value)) {
    for (const key of Object.keys(value)) objectsIn((value as Record<string, unknown>)[key], found);
  }
  return found;
}

/** The copy equals the original node for node (prototypes, key order, holes) and shares no object. */
function expectFaithfulCopy(original: unknown): void {
  const copy = copierFor(original)(original);
  // the codec's encoding tells undefined from a hole, -0 from 0, a Date from its string
  // (toStrictEqual can't: it reads an own "constructor" key as the object's type)
  expect(encodeValue(copy)).toBe(encodeValue(original));
  expect(encodeValue(copy)).toBe(encodeValue(copyValue(original)));
  const originals = objectsIn(original);
  const copies = objectsIn(copy);
  expect(copies).toHaveLength(originals.length);
  copies.forEach((node, i) => {
    expect(Object.getPrototypeOf(node)).toBe(Object.getPrototypeOf(originals[i]));
    if (!ArrayBuffer.isView(node)) expect(Object.keys(node)).toEqual(Object.keys(originals[i]));
  });
  const shared = new Set(originals);
  expect(copies.filter((node) => shared.has(node))).toEqual([]);
}

/** Deterministic values of the kinds the codec decodes, nested at random. */
function randomValue(seed: number): unknown {
  let state = seed;
  const random = () => (state = (state * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
  const pick = <T>(items: T[]) => items[Math.floor(random() * items.length)];
  const make = (depth: number): unknown => {
    const kind = depth > 3 ? pick(['n', 's', 'b']) : pick(['n', 's', 'b', 'o', 'a', 'd', 'x']);
    switch (kind) {
      case 'n':
        return pick([0, -0, 1.5, NaN, 2 ** 53, null, undefined]);
      case 's':
        return pick(['', 'a', '"quoted"', '__proto__', 'constructor', '1', '\u2028']);
      case 'b':
        return pick([true, false, 10n]);
      case 'd':
        return new Date(Math.floor(random() * 1e12));
      case 'x':
        return pick([new Map([['k', { v: 1 }]]), new Set([1, 2]), Buffer.from('hi'), /x/g]);
      case 'a': {
        const rows = random() < 0.5;
        const list = Array.from({ length: Math.floor(random() * 4) }, () =>
          rows ? { id: make(5), name: make(5) } : make(depth + 1),
        );
        if (random() < 0.2) list.length += 2; // trailing holes
        return list;
      }
      default: {
        const object: Record<string, unknown> = {};
        const keys = ['id', 'name', '2', '10', 'constructor', 'a b', '"', 'toString'];
        for (let i = Math.floor(random() * 5); i > 0; i--) object[pick(keys)] = make(depth + 1);
        return object;
      }
    }
  };
  return make(0);
}

describe('copierFor', () => {
  it('copies 500 random decoded values exactly as the generic walk does, sharing no object', () => {
    for (let seed = 1; seed <= 500; seed++) {
      expectFaithfulCopy(decodeValue(encodeValue(randomValue(seed))));
    }
  });

  it('compiles one copier per shape: rows of one table share it', () => {
    const row = (id: number) => ({ id, name: `n${id}`, tags: ['a'], at: new Date(id) });
    const before = compiledShapeCount();
    const first = copierFor(row(1));
    expect(copierFor(row(2))).toBe(first);
    expect(compiledShapeCount()).toBe(before + 1);
    // same keys, other contents: another shape
    expect(copierFor({ id: 1, name: 'x', tags: [{}], at: new Date(1) })).not.toBe(first);
    expectFaithfulCopy([row(1), row(2), row(3)]);
  });

  /** An array with a hole at `index`. */
  const withHole = (items: unknown[], index: number) => {
    const list = new Array<unknown>(items.length);
    items.forEach((item, i) => {
      if (i !== index) list[i] = item;
    });
    return list;
  };

  it('leaves what a plain shape cannot say to the generic walk, where it sits', () => {
    const hostile = JSON.parse('{"a": {"__proto__": {"polluted": true}}, "b": [1]}') as {
      a: object;
    };
    const copy = copierFor(hostile)(hostile) as { a: Record<string, unknown> };
    expect(Object.getPrototypeOf(copy.a)).toBe(Object.prototype);
    expect(copy.a.polluted).toBeUndefined();
    expect(Object.keys(copy.a)).toEqual(['__proto__']);
    expectFaithfulCopy(hostile);

    const bare = Object.assign(Object.create(null) as object, { k: 1 });
    expectFaithfulCopy({
      bare,
      mixed: [1, { a: 1 }],
      rows: [{ a: 1 }, { b: 1 }],
      holes: withHole([{ a: 1 }, 0, { a: 2 }], 1),
    });
    expectFaithfulCopy({ map: new Map([[{ k: 1 }, new Set([{ v: 1 }])]]), regexp: /x/gi });
  });

  it('copies primitives as they are and arrays of primitives with their holes', () => {
    expect(copierFor(5)(5)).toBe(5);
    expect(copierFor(null)(null)).toBeNull();
    const sparse = withHole([1, 2, 'three'], 1);
    const copy = copierFor(sparse)(sparse) as unknown[];
    expect(copy).not.toBe(sparse);
    expect(1 in copy).toBe(false);
    expect(copy).toEqual(sparse);
  });

  it('hands a value too big to be worth compiling to the generic walk', () => {
    const wide = Object.fromEntries(Array.from({ length: 2000 }, (_, i) => [`k${i}`, { i }]));
    expect(copierFor(wide)).toBe(copyValue);
    expectFaithfulCopy(wide);
  });
});
