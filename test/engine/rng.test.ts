import { describe, expect, it } from 'vitest';

import { hash32, Rng } from '../../src/engine/rng.js';

describe('Rng (mulberry32)', () => {
  it('draws the reference mulberry32 stream and continues it from a saved state', () => {
    // mulberry32(1) starts 0.6270739405881613, 0.0027356 … (the public-domain reference implementation).
    const r = new Rng(1);
    expect([r.nextUint32(), r.nextUint32(), r.nextUint32()]).toEqual([2693262067, 11749833, 2265367787]);
    const a = new Rng(42);
    a.next();
    const b = Rng.fromState(a.state);
    expect(Array.from({ length: 5 }, () => a.next())).toEqual(Array.from({ length: 5 }, () => b.next()));
  });

  it('keeps draws in range and shuffles into a permutation', () => {
    const r = new Rng(7);
    for (let i = 0; i < 1000; i++) {
      const x = r.int(3, 5);
      expect(x >= 3 && x <= 5 && Number.isInteger(x)).toBe(true);
      const u = r.uniform(-1, 1);
      expect(u >= -1 && u < 1).toBe(true);
    }
    expect(
      r
        .shuffle([1, 2, 3, 4, 5])
        .slice()
        .sort((a, b) => a - b),
    ).toEqual([1, 2, 3, 4, 5]);
    expect(
      r.weighted([
        ['a', 0],
        ['b', 1],
      ] as const),
    ).toBe('b');
    expect(() => r.pick([])).toThrow(/internal/);
  });

  it('hashes text with FNV-1a', () => {
    expect(hash32('')).toBe(0x811c9dc5);
    expect(hash32('a')).toBe(0xe40c292c);
  });
});
