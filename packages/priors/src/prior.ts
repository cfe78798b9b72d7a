import type * as tf from '@tensorflow/tfjs-core';

/**
 * A cluster prior for PMSN: maps the mean anchor probabilities `[K]` (the batch's average soft assignment to
 * the K prototypes) to a target distribution `[K]` (non-negative, summing to 1) that the regulariser pulls
 * them towards. Built-ins ignore the values and use only K; a custom prior may use them (it runs inside the
 * loss' gradient scope, so a prior computed from `meanAnchorProbs` passes gradient like the reference).
 *
 * @example
 * // Sharpens the batch's own cluster usage into a target (a prior may depend on its input).
 * const sharpened: Prior = (meanAnchorProbs) =>
 *   tf.tidy(() => { const squared = tf.square(meanAnchorProbs); return tf.div(squared, tf.sum(squared)); });
 */
export type Prior = (meanAnchorProbs: tf.Tensor1D) => tf.Tensor1D;

/** Gives a built-in prior a readable `name` (used in error messages), e.g. `powerLawPrior(0.25)`. */
export function namePrior(prior: Prior, name: string): Prior {
  Object.defineProperty(prior, 'name', { value: name });
  return prior;
}
