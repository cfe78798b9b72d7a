// Stochastic depth: drop a residual branch for whole samples, scaling survivors by 1/keep (DeiT/timm).
import * as tf from '@tensorflow/tfjs-core';
import type { Random } from './random';

/**
 * Multiplies each sample's rows of `branch` `[B·L, D]` by 0 (probability `rate`) or 1/(1 − rate), drawing one
 * uniform number per sample from `random` (mask = floor(1 − rate + u), as in DeiT's `drop_path`).
 */
export function dropPath(branch: tf.Tensor2D, batchSize: number, rate: number, random: Random): tf.Tensor2D {
  if (rate <= 0) return branch;
  const keep = 1 - rate;
  const scales = new Float32Array(batchSize);
  for (let sample = 0; sample < batchSize; sample++) scales[sample] = Math.floor(keep + random.nextFloat()) / keep;
  return tf.tidy(() => {
    const [rows, width] = branch.shape;
    const perSample = tf.reshape(branch, [batchSize, rows / batchSize, width]);
    return tf.reshape(tf.mul(perSample, tf.tensor3d(scales, [batchSize, 1, 1])), [rows, width]) as tf.Tensor2D;
  });
}
