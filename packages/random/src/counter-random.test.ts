import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '@msn/errors';
import { CounterRandom } from './counter-random';

describe('CounterRandom', () => {
  it('is a pure function of its key path', () => {
    const draws = (path: number[]) => {
      const random = CounterRandom.fromKey(path);
      return Array.from({ length: 8 }, () => random.nextUint32());
    };
    expect(draws([1, 2, 3])).toEqual(draws([1, 2, 3]));
    expect(draws([1, 2, 3])).not.toEqual(draws([1, 2, 4]));
    expect(draws([1, 2, 3])).not.toEqual(draws([1, 3, 2]));
    expect(draws([1, 2])).not.toEqual(draws([1, 2, 0]));
    // Large seeds use both 32-bit words.
    expect(draws([2 ** 40])).not.toEqual(draws([0]));
  });

  it('forks independent streams without advancing the parent', () => {
    const parent = CounterRandom.fromKey([5]);
    const first = parent.fork(0).next();
    const second = parent.fork(1).next();
    expect(first).not.toBe(second);
    expect(parent.fork(0).next()).toBe(first);
    expect(parent.next()).toBe(CounterRandom.fromKey([5]).next());
  });

  it('draws uniforms in range with a plausible mean and integers covering their range', () => {
    const random = CounterRandom.fromKey([9]);
    let total = 0;
    const counts = new Array(6).fill(0);
    const draws = 60000;
    for (let draw = 0; draw < draws; draw++) {
      const value = random.uniform(-2, 3);
      expect(value).toBeGreaterThanOrEqual(-2);
      expect(value).toBeLessThan(3);
      total += value;
      counts[random.integer(6)]++;
    }
    // Mean 0.5, standard error 5/√12/√60000 ≈ 0.006.
    expect(Math.abs(total / draws - 0.5)).toBeLessThan(0.03);
    for (const count of counts) expect(Math.abs(count - draws / 6)).toBeLessThan(draws / 6 / 10);
  });

  it('makes permutations', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 200 }), fc.nat(), (count, seed) => {
        const order = CounterRandom.fromKey([seed]).permutation(count);
        expect([...order].sort((a, b) => a - b)).toEqual(Array.from({ length: count }, (_, index) => index));
      }),
    );
  });

  it('rejects negative or fractional keys', () => {
    expect(() => CounterRandom.fromKey([1, -1])).toThrow(InvalidArgumentError);
    expect(() => CounterRandom.fromKey([0.5])).toThrow(/'key' = \[0.5\]; expected non-negative safe integers/);
  });
});
