// @file The products of a layer y = x·Wᵀ + b (torch layout W [out, in]) and its weight and bias gradients.
import * as tf from '@tensorflow/tfjs-core';
import { isTransposeFreeMatMul } from './transpose-free-mat-mul';

// Where the backend's matMul is transpose-free (transpose-free-mat-mul.ts) the products carry transpose flags;
// elsewhere they transpose explicitly and multiply unflagged (wasm's fast XNNPACK path).

/** x·Wᵀ (+ b): `[rows, in]·[out, in]ᵀ → [rows, out]`. */
export function timesTransposedWeight(x: tf.Tensor2D, weight: tf.Tensor2D, bias?: tf.Tensor1D): tf.Tensor2D {
  return tf.tidy(() => {
    const free = isTransposeFreeMatMul();
    const right = free ? weight : tf.transpose(weight);
    if (bias === undefined) return tf.matMul(x, right, false, free);
    return tf.fused.matMul({ a: x, b: right, transposeB: free, bias }) as tf.Tensor2D;
  });
}

/** ∂/∂W = dyᵀ·x `[out, in]` and, with `withBias`, ∂/∂b = Σ_rows dy `[out]`. */
export function weightGradients(dy: tf.Tensor2D, x: tf.Tensor2D, withBias: boolean): { weight: tf.Tensor2D; bias?: tf.Tensor1D } {
  return tf.tidy(() => gradients(dy, x, withBias));
}

function gradients(dy: tf.Tensor2D, x: tf.Tensor2D, withBias: boolean): { weight: tf.Tensor2D; bias?: tf.Tensor1D } {
  if (isTransposeFreeMatMul()) {
    const weight = tf.matMul(dy, x, true, false) as tf.Tensor2D;
    if (!withBias) return { weight };
    // Σ_rows dy as 1ᵀ·dy: a product too (wasm's tf.sum(dy, 0) transposes dy first).
    const bias = tf.reshape(tf.matMul(tf.ones([1, dy.shape[0]]), dy), [dy.shape[1]]) as tf.Tensor1D;
    return { weight, bias };
  }
  // The bias sums the rows of the dyᵀ the weight product needs anyway (2-3× faster than tf.sum(dy, 0) on wasm).
  const transposed = tf.transpose(dy);
  const weight = tf.matMul(transposed, x) as tf.Tensor2D;
  return withBias ? { weight, bias: tf.sum(transposed, 1) as tf.Tensor1D } : { weight };
}
