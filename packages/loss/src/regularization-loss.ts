import * as tf from '@tensorflow/tfjs-core';
import { ShapeError } from '@msn/errors';
import { withoutGradient } from './without-gradient';
import { assertFloatTensor } from './validate';

/** x · log x with 0 · log 0 = 0 (torch's xlogy), without a NaN gradient at 0. */
function xLogX(x: tf.Tensor1D): tf.Tensor1D {
  return tf.mul(x, safeLog(x));
}

/** log x where x > 0, else 0; the `where` keeps the log's infinite slope at 0 out of the gradient. */
function safeLog(x: tf.Tensor1D): tf.Tensor1D {
  return tf.log(tf.where(positive(x), x, tf.onesLike(x)));
}

/** x > 0 as a mask; untaped, because comparisons have no gradient function in tfjs. */
function positive(x: tf.Tensor1D): tf.Tensor1D {
  return withoutGradient(() => tf.greater(x, 0));
}

/**
 * The regulariser on the mean anchor probabilities q `[K]` (before weighting by λ):
 * - without `prior` — MSN's mean-entropy maximisation ("me-max"): Σₖ qₖ log qₖ + log K = KL(q ‖ uniform);
 * - with `prior` p — PMSN: KL(p ‖ q) = Σₖ pₖ (log pₖ − log qₖ), the prior first (torch's
 *   `kl_div(q.log(), p, reduction="sum")`), with 0 · log 0 = 0 for empty clusters of the prior.
 *
 * The two differ even for a uniform prior: KL(u ‖ q) ≠ KL(q ‖ u).
 *
 * @param meanAnchorProbs - q, the mean over anchors of their prototype probabilities, `[K]`.
 * @param prior - Target distribution `[K]`; omit for me-max.
 * @example
 * const meMax = regularizationLoss(meanAnchorProbs);
 * const pmsn = regularizationLoss(meanAnchorProbs, powerLawPrior(0.25)(meanAnchorProbs));
 * @throws {ShapeError} when `meanAnchorProbs` is not 1-D or `prior` has another shape.
 * @throws {InvalidArgumentError} when a tensor is not float32.
 */
export function regularizationLoss(meanAnchorProbs: tf.Tensor, prior?: tf.Tensor): tf.Scalar {
  const caller = 'regularizationLoss';
  assertFloatTensor(caller, 'meanAnchorProbs', meanAnchorProbs, 1, '[K]');
  if (prior !== undefined) {
    assertFloatTensor(caller, 'prior', prior, 1, '[K]');
    if (prior.size !== meanAnchorProbs.size) {
      throw new ShapeError(`${caller}: prior [${prior.shape}] and meanAnchorProbs [${meanAnchorProbs.shape}] must have the same shape`);
    }
  }
  const mean = meanAnchorProbs as tf.Tensor1D;
  return tf.tidy(() => {
    if (prior === undefined) return tf.add(tf.sum(xLogX(mean)), Math.log(mean.size));
    // Σ p·(log p − log q), written so a zero prior entry contributes exactly 0 (even where q is 0 too).
    const target = prior as tf.Tensor1D;
    const logMeanAnchorProbs = tf.log(tf.where(positive(target), mean, tf.onesLike(mean)));
    return tf.sum(tf.sub(xLogX(target), tf.mul(target, logMeanAnchorProbs)));
  }) as tf.Scalar;
}
