import * as tf from '@tensorflow/tfjs-core';
import { FIXTURE_TOLERANCE, describeEachBackend, embeddedBackends, expectClose, expectNoLeakedTensors } from '@msn/test-utils';
import { expect, it } from 'vitest';
import { ShapeError } from '@msn/errors';
import { uniformPrior } from './uniform-prior';

describeEachBackend(embeddedBackends(), 'uniformPrior', () => {
  it('returns 1/K for every cluster, whatever the input values', () => {
    const input = tf.tensor1d([0.7, 0.1, 0.1, 0.05, 0.05]);
    const prior = uniformPrior()(input);
    expect(prior.shape).toEqual([5]);
    expectClose(prior, new Array(5).fill(0.2), { label: 'uniform K=5', tolerance: FIXTURE_TOLERANCE });
    tf.dispose([input, prior]);
  });

  it('rejects a scalar input', () => {
    const scalar = tf.scalar(1) as unknown as tf.Tensor1D;
    expect(() => uniformPrior()(scalar)).toThrow(ShapeError);
    expect(() => uniformPrior()(scalar)).toThrow(/uniformPrior: 'meanAnchorProbs'.*got shape \[\]/);
    scalar.dispose();
  });

  it('does not leak tensors', async () => {
    const input = tf.zeros([4]) as tf.Tensor1D;
    await expectNoLeakedTensors(() => tf.dispose(uniformPrior()(input)));
    input.dispose();
  });
});
