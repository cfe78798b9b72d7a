// Exact (erf) GELU with a closed-form gradient that saves only its input.
import * as tf from '@tensorflow/tfjs-core';

const INVERSE_SQRT_2 = Math.SQRT1_2;
const INVERSE_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

/**
 * GELU(x) = x·Φ(x) = 0.5·x·(1 + erf(x/√2)) (torch's default `nn.GELU()`, not the tanh approximation).
 * Gradient: Φ(x) + x·φ(x) with φ(x) = exp(−x²/2)/√(2π). `tf.erf` exists on cpu and wasm.
 */
export function gelu(input: tf.Tensor): tf.Tensor {
  const run = tf.customGrad((...args: unknown[]) => {
    const save = args[1] as tf.GradSaveFunc;
    const x = args[0] as tf.Tensor;
    save([x]);
    const cdf = tf.mul(0.5, tf.add(1, tf.erf(tf.mul(x, INVERSE_SQRT_2))));
    return {
      value: tf.mul(x, cdf),
      // Temporaries of a custom gradient are otherwise kept until the whole backward pass ends.
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
        tf.tidy(() => {
          const savedX = saved[0]!;
          const savedCdf = tf.mul(0.5, tf.add(1, tf.erf(tf.mul(savedX, INVERSE_SQRT_2))));
          const density = tf.mul(tf.exp(tf.mul(tf.square(savedX), -0.5)), INVERSE_SQRT_2PI);
          return [tf.mul(dy, tf.add(savedCdf, tf.mul(savedX, density)))];
        }),
    };
  });
  return run(input);
}
