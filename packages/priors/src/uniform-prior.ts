import * as tf from '@tensorflow/tfjs-core';
import { namePrior, type Prior } from './prior';
import { assertMeanAnchorProbs } from './validate';

/**
 * The uniform prior 1/K. As a PMSN target it gives KL(uniform ‖ q), which is **not** MSN's me-max
 * regulariser KL(q ‖ uniform) (use `MSNLoss({ targetDistribution: 'uniform' })` for that).
 *
 * @example
 * const prior = uniformPrior()(meanAnchorProbs); // [K], every entry 1/K
 * @throws {ShapeError} (when called) if `meanAnchorProbs` is not a non-empty 1-D tensor.
 */
export function uniformPrior(): Prior {
  return namePrior((meanAnchorProbs) => {
    assertMeanAnchorProbs('uniformPrior', meanAnchorProbs);
    const size = meanAnchorProbs.size;
    return tf.fill([size], 1 / size) as tf.Tensor1D;
  }, 'uniformPrior()');
}
