import * as tf from '@tensorflow/tfjs-core';

/**
 * a · bᵀ for a `[B, D]` and b `[K, D]`, with its own gradient, so that no matrix product runs with a
 * transpose flag: the wasm backend (4.22) computes `matMul(…, transposeA/B)` with a slow generic loop, about
 * 10–40× slower than a plain product after an explicit `transpose` (at N·V=704, D=256, K=1024: 245 ms
 * versus 23 ms), and tfjs's own MatMul gradient uses those flags.
 *
 * Gradients: d(a·bᵀ)/da = dy · b, d(a·bᵀ)/db = dyᵀ · a.
 */
export function matMulByTranspose(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  const product = tf.customGrad((...inputs) => {
    const [left, right, save] = inputs as [tf.Tensor2D, tf.Tensor2D, tf.GradSaveFunc];
    // Saved, not captured: the tape keeps saved tensors alive until the backward pass, even when the forward
    // ran inside a tf.tidy that has since ended.
    save([left, right]);
    return {
      value: tf.matMul(left, tf.transpose(right)),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [savedLeft, savedRight] = saved as [tf.Tensor2D, tf.Tensor2D];
        return [tf.matMul(dy as tf.Tensor2D, savedRight), tf.matMul(tf.transpose(dy as tf.Tensor2D), savedLeft)];
      },
    };
  });
  return product(a, b) as tf.Tensor2D;
}
