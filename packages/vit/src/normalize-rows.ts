// (x − mean)/√(var + eps) per row of [R, D], and 1/√(var + eps) as [R, 1]: LayerNorm without its affine part.
import * as tf from '@tensorflow/tfjs-core';
import { hasBackendKernel, runBackendKernel } from './backend-kernel';

/**
 * Name of an optional fused kernel for {@link normalizeRows}: inputs `{ x }` (float32 `[R, D]`), attribute
 * `{ epsilon }`, outputs `[normalized [R, D], inverseStd [R, 1]]`. When the active backend has a kernel of this name
 * (`tf.registerKernel`), it replaces the seven-kernel op chain; a program that chooses a backend registers one (the
 * trainer does for webgpu). It is used inside custom gradients only, so it needs no gradient of its own.
 */
export const NORMALIZE_ROWS_KERNEL = 'MsnNormalizeRows';

/** The normalised rows and their inverse standard deviations (biased variance, as torch's LayerNorm). */
export function normalizeRows(x: tf.Tensor2D, epsilon: number): { normalized: tf.Tensor2D; inverseStd: tf.Tensor2D } {
  if (hasBackendKernel(NORMALIZE_ROWS_KERNEL)) {
    const [normalized, inverseStd] = runBackendKernel<[tf.Tensor2D, tf.Tensor2D]>(NORMALIZE_ROWS_KERNEL, { x }, { epsilon });
    return { normalized, inverseStd };
  }
  const centered = tf.sub(x, tf.mean(x, 1, true));
  const inverseStd = tf.rsqrt(tf.add(tf.mean(tf.square(centered), 1, true), epsilon)) as tf.Tensor2D;
  return { normalized: tf.mul(centered, inverseStd), inverseStd };
}
