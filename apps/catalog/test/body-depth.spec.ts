import { nestsDeeperThan } from '../src/common/body-depth.middleware';

/** Nests `levels` containers, alternating objects and arrays, around a number. */
function nested(levels: number): unknown {
  let value: unknown = 1;
  for (let i = 1; i <= levels; i++) value = i % 2 ? { a: value } : [value];
  return value;
}

describe('nestsDeeperThan', () => {
  it('counts the body itself as level 1', () => {
    expect(nestsDeeperThan({}, 1)).toBe(false);
    expect(nestsDeeperThan({ a: 1, b: 'x', c: null }, 1)).toBe(false);
    expect(nestsDeeperThan({ a: [] }, 1)).toBe(true);
  });

  it.each([1, 2, 31, 32])('lets %i levels through at a limit of 32', (levels) => {
    expect(nestsDeeperThan(nested(levels), 32)).toBe(false);
  });

  it.each([33, 2_000, 100_000])('stops %i levels at a limit of 32', (levels) => {
    expect(nestsDeeperThan(nested(levels), 32)).toBe(true);
  });

  it('finds the one deep branch among wide shallow ones', () => {
    const wide = Object.fromEntries(Array.from({ length: 1_000 }, (_, i) => [`k${i}`, [i]]));
    expect(nestsDeeperThan({ ...wide, deep: nested(32) }, 32)).toBe(true);
    expect(nestsDeeperThan({ ...wide, deep: nested(31) }, 32)).toBe(false);
  });

  it('has nothing to measure in a missing or primitive body', () => {
    for (const body of [undefined, null, 'text', 42, true]) {
      expect(nestsDeeperThan(body, 1)).toBe(false);
    }
  });
});
