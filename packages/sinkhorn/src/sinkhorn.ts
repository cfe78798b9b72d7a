import * as tf from '@tensorflow/tfjs-core';
import { assertInteger } from '@msn/errors';
import { assertMatrix } from './validate';

/**
 * Sums a tensor over every process and returns the total (same shape), synchronously.
 * Must not dispose its argument; the returned tensor may be tracked by the caller's `tf.tidy`.
 */
export type AllReduceSum = (tensor: tf.Tensor) => tf.Tensor;

export interface SinkhornOptions {
  /**
   * Number of alternating row/column normalisations; 0 returns the input unchanged.
   * @default 3
   */
  iterations?: number | undefined;
  /**
   * Sums row totals across processes (distributed Sinkhorn). Without it the computation is single-process.
   * It is called on the grand total, the number of samples and then, once per iteration, the
   * per-prototype totals: the same calls in the same order on every process.
   */
  allReduce?: AllReduceSum | undefined;
}

/**
 * Sinkhorn-Knopp normalisation of a batch of probabilities `[B, K]`: balances the prototypes so each is
 * used by 1/K of the (global) batch while every sample's row still sums to 1.
 *
 * With Q = Pᵀ / ΣP, repeat: divide each prototype row by its (global) sum and by K, then each sample
 * column by its sum and by B_global; return (B_global · Q)ᵀ (lightly's `sinkhorn`).
 *
 * @example
 * const balanced = sinkhorn(tf.softmax(logits), { iterations: 3 });
 * @throws {ShapeError} when `probabilities` is not 2-D.
 * @throws {InvalidArgumentError} when `iterations` is not an integer >= 0.
 */
export function sinkhorn(probabilities: tf.Tensor2D, options: SinkhornOptions = {}): tf.Tensor2D {
  const { iterations = 3, allReduce } = options;
  assertMatrix('sinkhorn', 'probabilities', probabilities);
  assertInteger('sinkhorn', 'iterations', iterations);
  // Returned unchanged, not even normalised (the reference returns its argument).
  if (iterations === 0) return probabilities.clone();
  const sumAcrossProcesses = allReduce ?? ((tensor: tf.Tensor) => tensor);

  return tf.tidy(() => {
    const [localSamples, numPrototypes] = probabilities.shape;
    const total = sumAcrossProcesses(tf.sum(probabilities));
    const numSamples = sumAcrossProcesses(tf.scalar(localSamples));
    let balanced: tf.Tensor2D = tf.div(probabilities, total);
    for (let iteration = 0; iteration < iterations; iteration++) {
      const prototypeTotals = sumAcrossProcesses(tf.sum(balanced, 0, true));
      balanced = tf.div(tf.div(balanced, prototypeTotals), numPrototypes);
      const sampleTotals = tf.sum(balanced, 1, true);
      balanced = tf.div(tf.div(balanced, sampleTotals), numSamples);
    }
    return tf.mul(balanced, numSamples);
  });
}
