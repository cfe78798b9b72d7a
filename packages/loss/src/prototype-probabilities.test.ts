import * as tf from '@tensorflow/tfjs-core';
import { FIXTURE_TOLERANCE, describeEachBackend, embeddedBackends, expectClose, expectNoLeakedTensors } from '@msn/test-utils';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, ShapeError } from '@msn/errors';
import { prototypeProbabilities } from './prototype-probabilities';

describeEachBackend(embeddedBackends(), 'prototypeProbabilities', () => {
  it('is the softmax of the similarities over the temperature, rows summing to 1', () => {
    const x = tf.tensor2d([
      [1, 0],
      [0.6, 0.8],
    ]);
    const prototypes = tf.tensor2d([
      [1, 0],
      [0, 1],
      [-1, 0],
    ]);
    const probs = prototypeProbabilities(x, prototypes, 0.5);
    // Row 0 logits: 2, 0, −2; row 1: 1.2, 1.6, −1.2.
    const softmax = (logits: number[]) => {
      const exps = logits.map(Math.exp);
      const total = exps.reduce((sum, value) => sum + value, 0);
      return exps.map((value) => value / total);
    };
    expectClose(probs, [...softmax([2, 0, -2]), ...softmax([1.2, 1.6, -1.2])], {
      label: 'softmax',
      tolerance: FIXTURE_TOLERANCE,
    });
    expectClose(tf.sum(probs, 1), [1, 1], { label: 'row sums', tolerance: FIXTURE_TOLERANCE });
    tf.dispose([x, prototypes, probs]);
  });

  it('stays finite for extreme logits', () => {
    const x = tf.tensor2d([[1000, -1000]]);
    const prototypes = tf.tensor2d([
      [1, 0],
      [0, 1],
    ]);
    const probs = prototypeProbabilities(x, prototypes, 0.01);
    expectClose(probs, [1, 0], { label: 'saturated', tolerance: FIXTURE_TOLERANCE });
    tf.dispose([x, prototypes, probs]);
  });

  it('does not leak tensors', async () => {
    const x = tf.randomNormal([4, 3]) as tf.Tensor2D;
    const prototypes = tf.randomNormal([5, 3]) as tf.Tensor2D;
    await expectNoLeakedTensors(() => tf.dispose(prototypeProbabilities(x, prototypes, 0.1)));
    tf.dispose([x, prototypes]);
  });
});

describe('prototypeProbabilities validation', () => {
  it('rejects mismatched dimensions, a bad temperature and a wrong rank', () => {
    const x = tf.zeros([4, 3]) as tf.Tensor2D;
    const prototypes = tf.zeros([5, 2]) as tf.Tensor2D;
    const vector = tf.zeros([3]) as unknown as tf.Tensor2D;
    expect(() => prototypeProbabilities(x, prototypes, 0.1)).toThrow(ShapeError);
    expect(() => prototypeProbabilities(x, prototypes, 0.1)).toThrow(/prototypeProbabilities: x \[4,3\] and prototypes \[5,2\] must share the last dimension/);
    expect(() => prototypeProbabilities(x, x, 0)).toThrow(InvalidArgumentError);
    expect(() => prototypeProbabilities(x, x, 0)).toThrow(/'temperature' = 0; expected a finite number > 0/);
    expect(() => prototypeProbabilities(vector, x, 0.1)).toThrow(/'x' must be a non-empty 2-D \[B, D\] tensor, got shape \[3\]/);
    tf.dispose([x, prototypes, vector]);
  });
});
