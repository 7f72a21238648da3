import { decodeValue, encodeValue } from '../serialization/value-codec';
import { copyValue, freezeValue } from './value-copy';

describe('copyValue', () => {
  const sample = () => {
    const items: unknown[] = [
      { at: new Date(5), n: 1n, u: undefined },
      new Map([[{ k: 1 }, new Set([1])]]),
      /x/g,
      Buffer.from('hi'),
      new Uint8Array([1, 2]),
    ];
    items.length = 6; // index 5: a hole
    items.push(NaN, -0);
    return items;
  };

  it('gives an equal value that shares nothing mutable with the original', () => {
    const original = decodeValue(encodeValue(sample())) as unknown[];
    const copy = copyValue(original);
    expect(copy).toEqual(original);
    expect(1 in copy).toBe(true);
    expect(5 in copy).toBe(false); // a hole stays a hole
    const [a, b] = [original, copy].map((value) => value[0] as { at: Date });
    expect(b).not.toBe(a);
    expect(b.at).not.toBe(a.at);
    (copy[1] as Map<unknown, Set<number>>).forEach((set) => set.add(2));
    expect([...(original[1] as Map<unknown, Set<number>>).values()][0].has(2)).toBe(false);
    (copy[3] as Buffer)[0] = 0;
    expect((original[3] as Buffer)[0]).toBe(104);
    expect(Object.is(copy[7], -0)).toBe(true);
  });

  it('keeps an own "__proto__" property a property (hostile JSON), never the prototype', () => {
    const original = JSON.parse('{"__proto__": {"polluted": true}, "a": 1}') as object;
    const copy = copyValue(original) as Record<string, unknown>;
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
    expect(copy.polluted).toBeUndefined();
    expect(Object.keys(copy)).toEqual(['__proto__', 'a']);
  });
});

describe('freezeValue', () => {
  it('freezes nested objects and arrays, and Maps and Sets as objects', () => {
    const value = freezeValue({ list: [{ n: 1 }], map: new Map([['k', { v: 1 }]]) });
    expect(Object.isFrozen(value.list)).toBe(true);
    expect(Object.isFrozen(value.list[0])).toBe(true);
    expect(Object.isFrozen(value.map.get('k'))).toBe(true);
    expect(() => (value.list as unknown[]).push(2)).toThrow(TypeError);
  });
});
