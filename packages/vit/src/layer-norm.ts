// LayerNorm over the last axis with a closed-form gradient (fewer kernels and saved tensors than the op chain).
import * as tf from '@tensorflow/tfjs-core';
import { normalizeRows } from './normalize-rows';

/**
 * y = (x − μ)/√(σ² + eps)·γ + β per row of `[rows, D]`, σ² the biased variance (torch's `LayerNorm`).
 * Gradient: with x̂ the normalised input and g = dy·γ, dx = (g − mean(g) − x̂·mean(g·x̂))/√(σ² + eps),
 * dγ = Σ_rows dy·x̂, dβ = Σ_rows dy.
 */
export function layerNorm(input: tf.Tensor2D, scale: tf.Tensor1D, shift: tf.Tensor1D, epsilon: number): tf.Tensor2D {
  const run = tf.customGrad((...args: unknown[]) => {
    const save = args[3] as tf.GradSaveFunc;
    const [x, gamma, beta] = args as [tf.Tensor2D, tf.Tensor1D, tf.Tensor1D];
    const { normalized, inverseStd } = normalizeRows(x, epsilon);
    save([normalized, inverseStd, gamma]);
    return {
      value: tf.add(tf.mul(normalized, gamma), beta) as tf.Tensor2D,
      // Temporaries of a custom gradient are otherwise kept until the whole backward pass ends.
      gradFunc: (dy: tf.Tensor2D, saved: tf.Tensor[]) =>
        tf.tidy(() => {
          const [savedNormalized, savedInverseStd, savedGamma] = saved as [tf.Tensor2D, tf.Tensor2D, tf.Tensor1D];
          const scaledGradient = tf.mul(dy, savedGamma);
          const projection = tf.mean(tf.mul(scaledGradient, savedNormalized), 1, true);
          const inputGradient = tf.mul(tf.sub(tf.sub(scaledGradient, tf.mean(scaledGradient, 1, true)), tf.mul(savedNormalized, projection)), savedInverseStd);
          return [inputGradient, tf.sum(tf.mul(dy, savedNormalized), 0), tf.sum(dy, 0)];
        }),
    };
  });
  return run(input, scale, shift) as tf.Tensor2D;
}
