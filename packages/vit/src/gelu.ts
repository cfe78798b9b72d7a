// Exact (erf) GELU with a closed-form gradient that saves only its input.
import * as tf from '@tensorflow/tfjs-core';
import { hasBackendKernel, runBackendKernel } from './backend-kernel';

/**
 * Name of an optional fused kernel for {@link geluForward}: input `{ x }` (float32), output `[x·Φ(x)]` of x's shape.
 * A backend that registers it (the trainer does for webgpu) replaces the five-kernel op chain with one dispatch.
 */
export const GELU_KERNEL = 'MsnGelu';

/**
 * Name of an optional fused kernel for {@link geluBackward}: inputs `{ x, dy }` (float32, one shape), outputs
 * `[x·Φ(x), dy·(Φ(x) + x·φ(x))]`. Used inside custom gradients only, so it needs no gradient of its own.
 */
export const GELU_BACKWARD_KERNEL = 'MsnGeluBackward';

const INVERSE_SQRT_2 = Math.SQRT1_2;
const INVERSE_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

/** Φ(x) = 0.5·(1 + erf(x/√2)), the standard normal CDF. */
export function normalCdf<T extends tf.Tensor>(input: T): T {
  return tf.tidy(() => tf.mul(0.5, tf.add(1, tf.erf(tf.mul(input, INVERSE_SQRT_2)))) as T);
}

/**
 * GELU(x) = x·Φ(x) again and the input gradient dy·(Φ(x) + x·φ(x)), φ(x) = exp(−x²/2)/√(2π), given the output
 * gradient dy. Recomputing Φ here instead of keeping it from the forward pass saves a tensor of the MLP's width per
 * block at no measurable cost (erf is ~3 % of a wasm training step).
 */
export function geluBackward<T extends tf.Tensor>(input: T, gradient: T): { activated: T; inputGradient: T } {
  if (hasBackendKernel(GELU_BACKWARD_KERNEL)) {
    const [activated, inputGradient] = runBackendKernel<[T, T]>(GELU_BACKWARD_KERNEL, { x: input, dy: gradient });
    return { activated, inputGradient };
  }
  return tf.tidy(() => {
    const normal = normalCdf(input);
    const density = tf.mul(tf.exp(tf.mul(tf.square(input), -0.5)), INVERSE_SQRT_2PI);
    return { activated: tf.mul(input, normal) as T, inputGradient: tf.mul(gradient, tf.add(normal, tf.mul(input, density))) as T };
  });
}

/** GELU(x) = x·Φ(x) without a gradient (for custom-gradient ops that save x and call {@link geluBackward}). */
export function geluForward<T extends tf.Tensor>(input: T): T {
  if (hasBackendKernel(GELU_KERNEL)) return runBackendKernel<[T]>(GELU_KERNEL, { x: input })[0];
  return tf.tidy(() => tf.mul(input, normalCdf(input)) as T);
}

/**
 * GELU(x) = x·Φ(x) = 0.5·x·(1 + erf(x/√2)) (torch's default `nn.GELU()`, not the tanh approximation).
 * Gradient: Φ(x) + x·φ(x) with φ(x) = exp(−x²/2)/√(2π). `tf.erf` exists on cpu and wasm.
 */
export function gelu(input: tf.Tensor): tf.Tensor {
  const run = tf.customGrad((...args: unknown[]) => {
    const save = args[1] as tf.GradSaveFunc;
    const x = args[0] as tf.Tensor;
    save([x]);
    return {
      value: geluForward(x),
      // Temporaries of a custom gradient are otherwise kept until the whole backward pass ends.
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
        tf.tidy(() => {
          const { activated, inputGradient } = geluBackward(saved[0]!, dy);
          activated.dispose();
          return [inputGradient];
        }),
    };
  });
  return run(input);
}
