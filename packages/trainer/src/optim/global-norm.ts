// The global L2 norm of a list of tensors, ‖(‖g₁‖, ‖g₂‖, …)‖, on the device.
import * as tf from '@tensorflow/tfjs-core';

// Why stack + sum rather than tf.addN: tfjs-backend-webgpu 4.22 compiles addN into one shader with a storage buffer
// per input, and WebGPU allows 8 per stage by default. With a ViT's ~150 gradients the pipeline is invalid, and
// WebGPU then drops the whole command buffer (other kernels' results included) with only a console warning.
// Concat (behind stack) splits its inputs to fit that limit.
/** sqrt(Σᵢ Σ gᵢ²) as a scalar owned by the caller; `tensors` must not be empty. */
export function globalNorm(tensors: readonly tf.Tensor[]): tf.Scalar {
  return tf.tidy(() => tf.sqrt(tf.sum(tf.stack(tensors.map((tensor) => tf.sum(tf.square(tensor)))))) as tf.Scalar);
}
