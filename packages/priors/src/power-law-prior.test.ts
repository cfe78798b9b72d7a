import * as tf from '@tensorflow/tfjs-core';
import { FIXTURE_TOLERANCE, describeEachBackend, embeddedBackends, expectClose, expectNoLeakedTensors, readFixtureCases } from '@msn/test-utils';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, ShapeError } from '@msn/errors';
import { powerLawPrior } from './power-law-prior';

const fixtureCases = readFixtureCases('priors', (fixture) => 'exponent' in fixture.params && 'size' in fixture.params);

describeEachBackend(embeddedBackends(), 'powerLawPrior', () => {
  it('finds fixture cases', () => expect(fixtureCases.length).toBeGreaterThan(0));

  for (const { path, fixture } of fixtureCases) {
    it(`matches ${fixture.name}`, () => {
      const size = fixture.params.size as number;
      // Only the length of the input matters; the values are the caller's mean anchor probabilities.
      const meanAnchorProbs = tf.randomUniform([size], 0, 1, 'float32', 5) as tf.Tensor1D;
      const prior = powerLawPrior(fixture.params.exponent as number)(meanAnchorProbs);
      expectClose(prior, fixture.outputs.prior!, { label: `${path} ${fixture.name}`, tolerance: FIXTURE_TOLERANCE });
      tf.dispose([meanAnchorProbs, prior]);
    });
  }

  it('is decreasing, sums to 1, and is uniform at exponent 0', () => {
    const input = tf.zeros([7]) as tf.Tensor1D;
    const decreasing = powerLawPrior(0.7)(input);
    const values = Array.from(decreasing.dataSync());
    for (let index = 1; index < 7; index++) expect(values[index]).toBeLessThan(values[index - 1]!);
    expect(values.reduce((sum, value) => sum + value, 0)).toBeCloseTo(1, 6);
    const flat = powerLawPrior(0)(input);
    expectClose(flat, new Array(7).fill(1 / 7), { label: 'exponent 0', tolerance: FIXTURE_TOLERANCE });
    tf.dispose([input, decreasing, flat]);
  });

  it('follows the length of its input from call to call', () => {
    const prior = powerLawPrior(1);
    const [small, large] = [tf.zeros([3]) as tf.Tensor1D, tf.zeros([4]) as tf.Tensor1D];
    // 1, 1/2, 1/3 normalised by 11/6; then 1, 1/2, 1/3, 1/4 normalised by 25/12.
    const [first, second] = [prior(small), prior(large)];
    expectClose(first, [6 / 11, 3 / 11, 2 / 11], { label: 'K=3', tolerance: FIXTURE_TOLERANCE });
    expectClose(second, [12 / 25, 6 / 25, 4 / 25, 3 / 25], { label: 'K=4', tolerance: FIXTURE_TOLERANCE });
    tf.dispose([small, large, first, second]);
  });

  it('does not leak tensors', async () => {
    const input = tf.zeros([10]) as tf.Tensor1D;
    const prior = powerLawPrior(0.25);
    await expectNoLeakedTensors(() => tf.dispose(prior(input)));
    input.dispose();
  });
});

describe('powerLawPrior validation', () => {
  it('rejects a negative or non-finite exponent, naming it', () => {
    expect(() => powerLawPrior(-0.5)).toThrow(InvalidArgumentError);
    expect(() => powerLawPrior(-0.5)).toThrow(/powerLawPrior: invalid argument 'exponent' = -0.5; expected a finite number >= 0/);
    expect(() => powerLawPrior(Number.POSITIVE_INFINITY)).toThrow(/'exponent' = Infinity/);
  });

  it('rejects an input that is not a non-empty vector, printing its shape', () => {
    const matrix = tf.zeros([2, 3]) as unknown as tf.Tensor1D;
    expect(() => powerLawPrior(1)(matrix)).toThrow(ShapeError);
    expect(() => powerLawPrior(1)(matrix)).toThrow(/powerLawPrior: 'meanAnchorProbs' must be .*got shape \[2,3\]/);
    matrix.dispose();
  });

  it('names itself after its exponent', () => expect(powerLawPrior(0.25).name).toBe('powerLawPrior(0.25)'));
});
