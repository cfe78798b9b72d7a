import * as tf from '@tensorflow/tfjs-core';
import { FIXTURE_TOLERANCE, describeEachBackend, embeddedBackends, expectClose, expectNoLeakedTensors } from '@msn/test-utils';
import { describe, expect, it } from 'vitest';
import { ShapeError } from '@msn/errors';
import { regularizationLoss } from './regularization-loss';

const q = [0.7, 0.1, 0.1, 0.1];
const kl = (p: number[], r: number[]) => p.reduce((sum, value, k) => (value > 0 ? sum + value * Math.log(value / r[k]!) : sum), 0);

describeEachBackend(embeddedBackends(), 'regularizationLoss', () => {
  it('is KL(q ‖ uniform) without a prior and KL(prior ‖ q) with one', () => {
    const meanAnchorProbs = tf.tensor1d(q);
    const uniform = tf.fill([4], 0.25) as tf.Tensor1D;
    const meMax = regularizationLoss(meanAnchorProbs);
    const pmsn = regularizationLoss(meanAnchorProbs, uniform);
    expectClose(meMax, kl(q, [0.25, 0.25, 0.25, 0.25]), { label: 'me-max', tolerance: FIXTURE_TOLERANCE });
    expectClose(pmsn, kl([0.25, 0.25, 0.25, 0.25], q), { label: 'KL(u‖q)', tolerance: FIXTURE_TOLERANCE });
    // The two directions differ: PMSN with a uniform prior is not MSN's me-max.
    expect(Math.abs(meMax.dataSync()[0]! - pmsn.dataSync()[0]!)).toBeGreaterThan(1e-3);
    tf.dispose([meanAnchorProbs, uniform, meMax, pmsn]);
  });

  it('treats zero entries as 0·log 0 = 0, in value and gradient', () => {
    const meanAnchorProbs = tf.tensor1d([0.5, 0.5, 0]);
    const prior = tf.tensor1d([0.75, 0.25, 0]);
    const meMax = regularizationLoss(meanAnchorProbs);
    const pmsn = regularizationLoss(meanAnchorProbs, prior);
    expectClose(meMax, kl([0.5, 0.5, 0], [1 / 3, 1 / 3, 1 / 3]), { label: 'me-max with an empty cluster', tolerance: FIXTURE_TOLERANCE });
    expectClose(pmsn, kl([0.75, 0.25, 0], [0.5, 0.5, 0]), { label: 'KL with an empty cluster', tolerance: FIXTURE_TOLERANCE });
    const [gradient] = tf.grads((x) => regularizationLoss(x as tf.Tensor1D, prior))([meanAnchorProbs]);
    // d/dq of −Σ p log q is −p/q: −1.5, −0.5, and 0 where the prior is 0.
    expectClose(gradient!, [-1.5, -0.5, 0], { label: 'gradient', tolerance: FIXTURE_TOLERANCE });
    tf.dispose([meanAnchorProbs, prior, meMax, pmsn, gradient!]);
  });

  it('does not leak tensors', async () => {
    const meanAnchorProbs = tf.tensor1d(q);
    await expectNoLeakedTensors(() => tf.dispose(regularizationLoss(meanAnchorProbs)));
    await expectNoLeakedTensors(() => tf.dispose(regularizationLoss(meanAnchorProbs, meanAnchorProbs)));
    meanAnchorProbs.dispose();
  });
});

describe('regularizationLoss validation', () => {
  it('rejects a prior of another shape and a matrix', () => {
    const meanAnchorProbs = tf.tensor1d(q);
    const short = tf.tensor1d([0.5, 0.5]);
    const matrix = tf.ones([2, 2]) as unknown as tf.Tensor1D;
    expect(() => regularizationLoss(meanAnchorProbs, short)).toThrow(ShapeError);
    expect(() => regularizationLoss(meanAnchorProbs, short)).toThrow(/regularizationLoss: prior \[2\] and meanAnchorProbs \[4\] must have the same shape/);
    expect(() => regularizationLoss(matrix)).toThrow(/'meanAnchorProbs' must be a non-empty 1-D \[K\] tensor, got shape \[2,2\]/);
    tf.dispose([meanAnchorProbs, short, matrix]);
  });
});
