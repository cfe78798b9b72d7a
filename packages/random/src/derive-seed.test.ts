import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '@msn/errors';
import { deriveSeed } from './derive-seed';
import { RANDOM_DOMAIN } from './random-domain';

describe('deriveSeed', () => {
  it('is a pure 32-bit function of its parts that tells neighbouring parts, signs and domains apart', () => {
    const seeds = new Set<number>();
    for (const seed of [0, 1, -1, 2 ** 40, -(2 ** 40)]) for (let step = 0; step < 200; step++) seeds.add(deriveSeed(RANDOM_DOMAIN.stepMasks, seed, step));
    expect(seeds.size).toBe(5 * 200);
    for (const seed of seeds) expect(Number.isInteger(seed) && seed >= 0 && seed < 2 ** 32).toBe(true);
    expect(deriveSeed(RANDOM_DOMAIN.rankMasks, 7, 1, 3)).toBe(deriveSeed(RANDOM_DOMAIN.rankMasks, 7, 1, 3));
    expect(deriveSeed(RANDOM_DOMAIN.rankMasks, 7, 1, 3)).not.toBe(deriveSeed(RANDOM_DOMAIN.stepMasks, 7, 1, 3));
    expect(deriveSeed(RANDOM_DOMAIN.rankMasks, 7, 13)).not.toBe(deriveSeed(RANDOM_DOMAIN.rankMasks, 71, 3));
  });

  it('names a part that is not a safe integer', () => {
    expect(() => deriveSeed(RANDOM_DOMAIN.stepMasks, 1.5)).toThrow(InvalidArgumentError);
    expect(() => deriveSeed(RANDOM_DOMAIN.stepMasks, 0, Number.NaN)).toThrow("deriveSeed: invalid argument 'parts' = [0,NaN]; expected safe integers");
  });
});
