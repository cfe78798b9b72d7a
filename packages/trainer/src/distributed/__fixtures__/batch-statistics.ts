// The computation the gradient tests run twice: on each rank's rows (distributed) and on all rows at once.
import * as tf from '@tensorflow/tfjs-core';

export const FEATURES = 4;

/** Rows per rank: uneven on purpose (a last, smaller batch). */
export function rowsPerRank(worldSize: number): number[] {
  return [3, 2, 4].slice(0, worldSize);
}

/** Deterministic global inputs [rows, FEATURES] with a non-zero mean, and loss weights of the same shape. */
export function globalBatch(rows: number): { inputs: Float32Array; weights: Float32Array } {
  const inputs = new Float32Array(rows * FEATURES);
  const weights = new Float32Array(rows * FEATURES);
  for (let index = 0; index < inputs.length; index++) {
    inputs[index] = 2 + Math.sin(index * 1.7) * (1 + (index % 3));
    weights[index] = Math.cos(index * 0.9);
  }
  return { inputs, weights };
}

/** Per-feature weights for the all-reduce test, different on every rank. */
export function rankWeights(rank: number): Float32Array {
  return Float32Array.from({ length: FEATURES }, (_, feature) => 1 + rank * 0.5 - feature * 0.25);
}

/** BatchNorm in training mode with affine parameters, then Σ weights ⊙ output. */
export function batchNormLoss(
  x: tf.Tensor2D,
  weights: tf.Tensor2D,
  gamma: tf.Tensor,
  beta: tf.Tensor,
  moments: (x: tf.Tensor2D) => { mean: tf.Tensor; variance: tf.Tensor },
): tf.Scalar {
  const { mean, variance } = moments(x);
  const normalised = tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, 1e-5)));
  return tf.sum(tf.mul(tf.add(tf.mul(normalised, gamma), beta), weights));
}
