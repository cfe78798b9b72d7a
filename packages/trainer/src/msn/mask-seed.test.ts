import { describe, expect, it } from 'vitest';
import { maskSeedForStep } from './mask-seed';

describe('maskSeedForStep', () => {
  it('derives distinct, reproducible 32-bit mask seeds from (seed, step)', () => {
    const seeds = new Set<number>();
    for (const seed of [0, 1, 2 ** 40]) for (let step = 0; step < 200; step++) seeds.add(maskSeedForStep(seed, step));
    expect(seeds.size).toBe(600);
    expect(maskSeedForStep(7, 9)).toBe(maskSeedForStep(7, 9));
    for (const value of seeds) expect(Number.isInteger(value) && value >= 0 && value < 2 ** 32).toBe(true);
    expect(() => maskSeedForStep(0, -1)).toThrow(/'step' = -1/);
  });
});
