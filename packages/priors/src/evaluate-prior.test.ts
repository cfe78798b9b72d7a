import * as tf from '@tensorflow/tfjs-core';
import { FIXTURE_TOLERANCE, describeEachBackend, embeddedBackends, expectClose, expectNoLeakedTensors } from '@msn/test-utils';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, ShapeError } from '@msn/errors';
import { evaluatePrior, priorSumTolerance } from './evaluate-prior';
import type { Prior } from './prior';
import { powerLawPrior } from './power-law-prior';

describeEachBackend(embeddedBackends(), 'evaluatePrior', () => {
  const meanAnchorProbs = () => tf.tensor1d([0.4, 0.3, 0.2, 0.1]);

  it('returns what a valid prior returns, including a prior computed from its input', () => {
    const input = meanAnchorProbs();
    const sharpened: Prior = (probabilities) =>
      tf.tidy(() => {
        const squared = tf.square(probabilities);
        return tf.div(squared, tf.sum(squared));
      });
    const result = evaluatePrior(sharpened, input);
    expectClose(result, [0.16 / 0.3, 0.09 / 0.3, 0.04 / 0.3, 0.01 / 0.3], { label: 'squared', tolerance: FIXTURE_TOLERANCE });
    const same = evaluatePrior((probabilities) => probabilities, input, 'identity');
    expect(same).toBe(input);
    tf.dispose([input, result]);
  });

  it('accepts float32 rounding of the sum within the documented tolerance', () => {
    const size = 1000;
    const input = tf.zeros([size]) as tf.Tensor1D;
    const slightlyOff: Prior = () => tf.fill([size], (1 + 0.5 * priorSumTolerance(size)) / size) as tf.Tensor1D;
    const clearlyOff: Prior = () => tf.fill([size], (1 + 2 * priorSumTolerance(size)) / size) as tf.Tensor1D;
    tf.dispose(evaluatePrior(slightlyOff, input));
    expect(() => evaluatePrior(clearlyOff, input)).toThrow(/prior clearlyOff \[sum\]' = 1.000/);
    input.dispose();
  });

  it('names the prior and what is wrong with its result', () => {
    const input = meanAnchorProbs();
    const short: Prior = () => tf.tensor1d([0.5, 0.5]);
    const negative: Prior = () => tf.tensor1d([0.6, 0.6, -0.3, 0.1]);
    const notANumber: Prior = () => tf.tensor1d([0.5, Number.NaN, 0.25, 0.25]);
    const unnormalised: Prior = () => tf.tensor1d([1, 1, 1, 1]);
    const integers: Prior = () => tf.tensor1d([1, 0, 0, 0], 'int32');
    const notATensor = (() => [0.25, 0.25, 0.25, 0.25]) as unknown as Prior;
    const failing: Prior = () => {
      throw new Error('boom');
    };
    expect(() => evaluatePrior(short, input)).toThrow(ShapeError);
    expect(() => evaluatePrior(short, input)).toThrow(/evaluatePrior: prior short returned shape \[2\]; expected \[4\]/);
    expect(() => evaluatePrior(negative, input)).toThrow(InvalidArgumentError);
    expect(() => evaluatePrior(negative, input)).toThrow(/'prior negative \[entry 2\]' = -0.3.*expected finite probabilities >= 0/);
    expect(() => evaluatePrior(notANumber, input)).toThrow(/'prior notANumber \[entry 1\]' = NaN/);
    expect(() => evaluatePrior(unnormalised, input)).toThrow(/'prior unnormalised \[sum\]' = 4; expected probabilities summing to 1/);
    expect(() => evaluatePrior(integers, input)).toThrow(/'prior integers' = "int32"; expected a float32 result/);
    expect(() => evaluatePrior(notATensor, input)).toThrow(/'prior notATensor' = "object"; expected a tf.Tensor1D of shape \[4\]/);
    expect(() => evaluatePrior(failing, input)).toThrow(/'prior failing' = function failing; .*it threw: Error: boom/);
    expect(() => evaluatePrior(unnormalised, input, 'myPrior', 'PMSNCustomLoss.forward')).toThrow(
      /^PMSNCustomLoss.forward: invalid argument 'prior myPrior \[sum\]'/,
    );
    expect(() => evaluatePrior(undefined as unknown as Prior, input)).toThrow(/'prior' = undefined; expected a function/);
    input.dispose();
  });

  it('frees what a failing prior allocated, and leaks nothing when it succeeds', async () => {
    const input = meanAnchorProbs();
    const unnormalised: Prior = () => tf.tidy(() => tf.mul(tf.onesLike(input), 2));
    await expectNoLeakedTensors(() => {
      expect(() => evaluatePrior(unnormalised, input)).toThrow(InvalidArgumentError);
    });
    const prior = powerLawPrior(0.25);
    await expectNoLeakedTensors(() => tf.dispose(evaluatePrior(prior, input)));
    input.dispose();
  });
});

describe('evaluatePrior input validation', () => {
  it('rejects mean anchor probabilities that are not a vector', () => {
    const matrix = tf.ones([2, 2]) as unknown as tf.Tensor1D;
    expect(() => evaluatePrior(powerLawPrior(1), matrix)).toThrow(/evaluatePrior: 'meanAnchorProbs' must be .*\[2,2\]/);
    matrix.dispose();
  });
});
