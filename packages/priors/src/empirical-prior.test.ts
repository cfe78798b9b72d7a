import * as tf from '@tensorflow/tfjs-core';
import { FIXTURE_TOLERANCE, describeEachBackend, embeddedBackends, expectClose, expectNoLeakedTensors } from '@msn/test-utils';
import { describe, expect, it } from 'vitest';
import { empiricalPrior, resampleSortedFrequencies } from './empirical-prior';
import { InvalidArgumentError } from '@msn/errors';

function evaluate(counts: number[], size: number): number[] {
  const input = tf.zeros([size]) as tf.Tensor1D;
  const prior = empiricalPrior(counts)(input);
  const values = Array.from(prior.dataSync());
  tf.dispose([input, prior]);
  return values;
}

describe('resampleSortedFrequencies', () => {
  it('keeps the frequencies when K = C, splits classes when K = m·C and merges them when C = m·K', () => {
    const sorted = [0.4, 0.3, 0.2, 0.1];
    expectClose(resampleSortedFrequencies(sorted, 4), sorted, { label: 'K=C', tolerance: FIXTURE_TOLERANCE });
    expectClose(resampleSortedFrequencies(sorted, 8), [0.2, 0.2, 0.15, 0.15, 0.1, 0.1, 0.05, 0.05], {
      label: 'K=2C',
      tolerance: FIXTURE_TOLERANCE,
    });
    expectClose(resampleSortedFrequencies(sorted, 2), [0.7, 0.3], { label: 'C=2K', tolerance: FIXTURE_TOLERANCE });
  });

  it('splits a class across clusters by area when K does not divide C', () => {
    // Classes cover [0,1/2) and [1/2,1) with densities 1.6 and 0.4; three clusters of width 1/3:
    // 1.6/3, 1.6/6 + 0.4/6, 0.4/3.
    expectClose(resampleSortedFrequencies([0.8, 0.2], 3), [1.6 / 3, 2 / 6, 0.4 / 3], {
      label: 'C=2, K=3',
      tolerance: FIXTURE_TOLERANCE,
    });
  });

  it('is a probability vector that never increases, for many (C, K)', () => {
    let seed = 12345;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (const classes of [1, 2, 3, 7, 10, 33]) {
      const sorted = Array.from({ length: classes }, () => random() ** 3).sort((left, right) => right - left);
      const total = sorted.reduce((sum, value) => sum + value, 0);
      const frequencies = sorted.map((value) => value / total);
      for (const size of [1, 2, 5, 10, 64, 101]) {
        const resampled = resampleSortedFrequencies(frequencies, size);
        expect(resampled.reduce((sum, value) => sum + value, 0)).toBeCloseTo(1, 12);
        for (let index = 0; index < size; index++) {
          expect(resampled[index]).toBeGreaterThanOrEqual(0);
          if (index > 0) expect(resampled[index]).toBeLessThanOrEqual(resampled[index - 1]! + 1e-15);
        }
      }
    }
  });
});

describeEachBackend(embeddedBackends(), 'empiricalPrior', () => {
  it('sorts the counts in decreasing order and ignores their scale', () => {
    expectClose(evaluate([10, 40, 20, 30], 4), [0.4, 0.3, 0.2, 0.1], { label: 'sorted', tolerance: FIXTURE_TOLERANCE });
    expectClose(evaluate([1, 4, 2, 3], 8), evaluate([300, 100, 400, 200], 8), {
      label: 'order and scale',
      tolerance: FIXTURE_TOLERANCE,
    });
  });

  it('gives the uniform prior for equal counts, at any K', () => {
    expectClose(evaluate([5, 5, 5], 7), new Array(7).fill(1 / 7), { label: 'equal counts', tolerance: FIXTURE_TOLERANCE });
  });

  it('keeps zero-count classes as zero-mass clusters at the tail', () => {
    expectClose(evaluate([3, 0, 1, 0], 4), [0.75, 0.25, 0, 0], { label: 'zeros', tolerance: FIXTURE_TOLERANCE });
  });

  it('does not leak tensors', async () => {
    const input = tf.zeros([6]) as tf.Tensor1D;
    const prior = empiricalPrior([9, 3, 1]);
    await expectNoLeakedTensors(() => tf.dispose(prior(input)));
    input.dispose();
  });
});

describe('empiricalPrior validation', () => {
  it('rejects empty, negative, non-finite and all-zero counts, naming the entry', () => {
    expect(() => empiricalPrior([])).toThrow(InvalidArgumentError);
    expect(() => empiricalPrior([])).toThrow(/empiricalPrior: invalid argument 'counts' = \[\]; expected a non-empty array/);
    expect(() => empiricalPrior([3, -1, 2])).toThrow(/'counts\[1\]' = -1; expected a finite number >= 0/);
    expect(() => empiricalPrior([3, Number.NaN])).toThrow(/'counts\[1\]' = NaN/);
    expect(() => empiricalPrior([0, 0])).toThrow(/'counts' = \[0,0\]; expected at least one count > 0/);
    expect(() => empiricalPrior(new Array(100).fill(0))).toThrow(/'counts' = "100 zeros"/);
  });
});
