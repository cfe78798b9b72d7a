// Whether the active backend registered one of the optional fused kernels this package names (e.g. NORMALIZE_ROWS_KERNEL).
import * as tf from '@tensorflow/tfjs-core';

/** True when `tf.registerKernel` gave the active backend a kernel named `kernelName`. */
export function hasBackendKernel(kernelName: string): boolean {
  return tf.getKernel(kernelName, tf.getBackend()) !== undefined;
}

/** Runs the optional kernel `kernelName` (check {@link hasBackendKernel} first) and returns its outputs. */
export function runBackendKernel<T extends tf.Tensor[]>(kernelName: string, inputs: tf.NamedTensorMap, attrs: tf.NamedAttrMap = {}): T {
  return tf.engine().runKernel(kernelName, inputs, attrs) as unknown as T;
}
