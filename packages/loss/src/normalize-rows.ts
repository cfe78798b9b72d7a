import * as tf from '@tensorflow/tfjs-core';

/**
 * x / max(‖x‖₂, 1e-12) per row (torch's `F.normalize(x, dim=1)`), written as x / √max(Σx², 1e-24): the same
 * values, but a zero row gets a zero gradient instead of NaN (√ has an infinite slope at 0).
 */
export function normalizeRows(x: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => tf.div(x, tf.sqrt(tf.maximum(tf.sum(tf.square(x), 1, true), 1e-24))));
}
