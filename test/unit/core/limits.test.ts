import { nestsDeeperThan } from '../../../src/core/limits';

/** `depth` levels of objects and arrays, alternating, around a string. */
function nested(depth: number): unknown {
  let value: unknown = 'leaf';
  for (let level = 0; level < depth; level++) value = level % 2 === 0 ? { child: value } : [value];
  return value;
}

describe('nestsDeeperThan', () => {
  it('counts objects and arrays, not the values in them', () => {
    expect(nestsDeeperThan('text', 0)).toBe(false);
    expect(nestsDeeperThan(null, 0)).toBe(false);
    expect(nestsDeeperThan({}, 0)).toBe(true);
    expect(nestsDeeperThan({ a: 1, b: 'x', c: null }, 1)).toBe(false);
    expect(nestsDeeperThan([1, 'x', null], 1)).toBe(false);
  });

  it('answers true exactly above the limit, through objects and arrays alike', () => {
    for (const depth of [1, 2, 3, 10, 101]) {
      expect(nestsDeeperThan(nested(depth), depth)).toBe(false);
      expect(nestsDeeperThan(nested(depth + 1), depth)).toBe(true);
    }
  });

  it('finds the deep branch among shallow siblings', () => {
    const value = { a: 1, b: { c: 2 }, d: [3, { e: nested(5) }], f: 'last' };
    expect(nestsDeeperThan(value, 8)).toBe(false);
    expect(nestsDeeperThan(value, 7)).toBe(true);
  });

  it('answers a nesting far deeper than the stack allows without overflowing', () => {
    expect(nestsDeeperThan(nested(100_000), 100)).toBe(true);
  });

  it('reads own properties only, as JSON.stringify does', () => {
    const inherited = Object.create({ deep: nested(10) }) as Record<string, unknown>;
    inherited.own = 'shallow';
    expect(nestsDeeperThan(inherited, 1)).toBe(false);
  });
});
