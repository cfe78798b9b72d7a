import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '@msn/errors';
import { createRandom } from './stream-random';

describe('createRandom', () => {
  it('is deterministic per seed and differs across seeds, including seeds beyond 32 bits', () => {
    const draw = (seed: number) => {
      const random = createRandom(seed);
      return Array.from({ length: 8 }, () => random.nextUint32());
    };
    expect(draw(1)).toEqual(draw(1));
    expect(draw(1)).not.toEqual(draw(2));
    expect(draw(5)).not.toEqual(draw(5 + 2 ** 32));
    expect(draw(-1)).not.toEqual(draw(2 ** 32 - 1));
  });

  it('draws uniform floats, bounded integers and standard normals with the right moments', () => {
    const random = createRandom(123);
    const count = 20000;
    let sum = 0;
    let normalSum = 0;
    let normalSquares = 0;
    const buckets = new Array<number>(7).fill(0);
    for (let index = 0; index < count; index++) {
      const u = random.nextFloat();
      expect(u >= 0 && u < 1).toBe(true);
      sum += u;
      buckets[random.nextInt(7)]!++;
      const normal = random.nextNormal();
      normalSum += normal;
      normalSquares += normal * normal;
    }
    // Standard errors: uniform mean 0.002, normal mean 0.007, normal variance 0.01, bucket count 35; ±5σ.
    expect(Math.abs(sum / count - 0.5)).toBeLessThan(0.01);
    expect(Math.abs(normalSum / count)).toBeLessThan(0.035);
    expect(Math.abs(normalSquares / count - 1)).toBeLessThan(0.05);
    for (const bucket of buckets) expect(Math.abs(bucket - count / 7)).toBeLessThan(175);
  });

  it('forks independent streams reproducibly', () => {
    const a = createRandom(7);
    const b = createRandom(7);
    const forkA = a.fork();
    const forkB = b.fork();
    expect(forkA.nextUint32()).toBe(forkB.nextUint32());
    expect(forkA.nextUint32()).not.toBe(a.nextUint32());
  });

  it('rejects a seed that is not a safe integer and a bad bound', () => {
    expect(() => createRandom(1.5)).toThrow(InvalidArgumentError);
    expect(() => createRandom(Number.NaN)).toThrow(/createRandom: invalid argument 'seed' = NaN; expected a safe integer/);
    expect(() => createRandom(0).nextInt(0)).toThrow(/'bound' = 0/);
  });
});
