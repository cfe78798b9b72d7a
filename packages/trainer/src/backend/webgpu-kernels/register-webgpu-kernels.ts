// @file Registers the trainer's WGSL kernels for tfjs-backend-webgpu (called once webgpu is the active backend).
import * as tf from '@tensorflow/tfjs-core';
import { NORMALIZE_ROWS_KERNEL } from '@msn/vit';
import { normalizeRowsProgram, type WebGPUProgramShape } from './normalize-rows-program';

interface WebGPUBackendShape {
  runWebGPUProgram(
    program: WebGPUProgramShape,
    inputs: tf.TensorInfo[],
    outputDtype: tf.DataType,
    uniforms?: { type: string; data: number[] }[],
  ): tf.TensorInfo;
}

/** Registers {@link NORMALIZE_ROWS_KERNEL} for `webgpu` (idempotent); @msn/vit's LayerNorms then use it. */
export function registerWebgpuKernels(): void {
  if (tf.getKernel(NORMALIZE_ROWS_KERNEL, 'webgpu') !== undefined) return;
  tf.registerKernel({
    kernelName: NORMALIZE_ROWS_KERNEL,
    backendName: 'webgpu',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const x = inputs.x as tf.TensorInfo;
      if (x.shape.length !== 2 || x.dtype !== 'float32') {
        throw new Error(`${NORMALIZE_ROWS_KERNEL}: expected a float32 [R, D] input, got ${x.dtype} [${x.shape}]`);
      }
      const gpu = backend as unknown as WebGPUBackendShape;
      const shape = x.shape as [number, number];
      const uniforms = [{ type: 'float32', data: [(attrs as { epsilon: number }).epsilon] }];
      return [
        gpu.runWebGPUProgram(normalizeRowsProgram(shape, 'normalized'), [x], 'float32', uniforms),
        gpu.runWebGPUProgram(normalizeRowsProgram(shape, 'inverseStd'), [x], 'float32', uniforms),
      ];
    },
  });
}
