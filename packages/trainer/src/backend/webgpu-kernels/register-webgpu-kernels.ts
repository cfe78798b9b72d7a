// @file Registers the trainer's WGSL kernels for tfjs-backend-webgpu (called once webgpu is the active backend).
import * as tf from '@tensorflow/tfjs-core';
import {
  ATTENTION_BACKWARD_KERNEL,
  ATTENTION_FORWARD_KERNEL,
  type AttentionKernelAttributes,
  GELU_BACKWARD_KERNEL,
  GELU_KERNEL,
  NORMALIZE_ROWS_KERNEL,
} from '@msn/vit';
import {
  attentionContextProgram,
  attentionProbabilitiesProgram,
  attentionProjectionsGradientProgram,
  attentionScoresGradientProgram,
} from './attention-programs';
import { geluProgram } from './gelu-programs';
import { normalizeRowsProgram } from './normalize-rows-program';
import { type TiledMatMulOptions, registerTiledMatMulKernels, restoreStockMatMulKernels } from './tiled-mat-mul-kernels';
import { float32Input, type WebGPUBackendShape } from './webgpu-program';

/** The fused kernels @msn/vit looks up by name (each replaces an op chain there when registered). */
export const FUSED_KERNEL_NAMES = [NORMALIZE_ROWS_KERNEL, GELU_KERNEL, GELU_BACKWARD_KERNEL, ATTENTION_FORWARD_KERNEL, ATTENTION_BACKWARD_KERNEL] as const;

type KernelFunc = (parameters: { inputs: tf.NamedTensorInfoMap; backend: WebGPUBackendShape; attrs: tf.NamedAttrMap }) => tf.TensorInfo[];

const KERNELS: Record<(typeof FUSED_KERNEL_NAMES)[number], KernelFunc> = {
  [NORMALIZE_ROWS_KERNEL]: ({ inputs, backend, attrs }) => {
    const x = float32Input(NORMALIZE_ROWS_KERNEL, inputs, 'x', 2);
    const shape = x.shape as [number, number];
    const uniforms = [{ type: 'float32', data: [(attrs as { epsilon: number }).epsilon] }];
    return [
      backend.runWebGPUProgram(normalizeRowsProgram(shape, 'normalized'), [x], 'float32', uniforms),
      backend.runWebGPUProgram(normalizeRowsProgram(shape, 'inverseStd'), [x], 'float32', uniforms),
    ];
  },
  [GELU_KERNEL]: ({ inputs, backend }) => {
    const x = float32Input(GELU_KERNEL, inputs, 'x', inputs.x?.shape.length ?? 1);
    return [backend.runWebGPUProgram(geluProgram(x.shape, 'activated'), [x], 'float32')];
  },
  [GELU_BACKWARD_KERNEL]: ({ inputs, backend }) => {
    const x = float32Input(GELU_BACKWARD_KERNEL, inputs, 'x', inputs.x?.shape.length ?? 1);
    const dy = float32Input(GELU_BACKWARD_KERNEL, inputs, 'dy', x.shape.length);
    if (!tf.util.arraysEqual(x.shape, dy.shape)) throw new Error(`${GELU_BACKWARD_KERNEL}: expected dy of x's shape [${x.shape}], got [${dy.shape}]`);
    return [
      backend.runWebGPUProgram(geluProgram(x.shape, 'activated'), [x], 'float32'),
      backend.runWebGPUProgram(geluProgram(x.shape, 'inputGradient'), [x, dy], 'float32'),
    ];
  },
  [ATTENTION_FORWARD_KERNEL]: ({ inputs, backend, attrs }) => {
    const sizes = attentionSizes(ATTENTION_FORWARD_KERNEL, attrs);
    const projections = projectionsInput(ATTENTION_FORWARD_KERNEL, inputs, sizes);
    const probabilities = backend.runWebGPUProgram(attentionProbabilitiesProgram(sizes), [projections], 'float32');
    const context = backend.runWebGPUProgram(attentionContextProgram(sizes), [probabilities, projections], 'float32');
    return [probabilities, context];
  },
  [ATTENTION_BACKWARD_KERNEL]: ({ inputs, backend, attrs }) => {
    const sizes = attentionSizes(ATTENTION_BACKWARD_KERNEL, attrs);
    const projections = projectionsInput(ATTENTION_BACKWARD_KERNEL, inputs, sizes);
    const probabilities = float32Input(ATTENTION_BACKWARD_KERNEL, inputs, 'probabilities', 3);
    const contextGradient = float32Input(ATTENTION_BACKWARD_KERNEL, inputs, 'contextGradient', 2);
    const { batchSize, numHeads, headDim, queryLength, sequenceLength } = sizes;
    expectShape(ATTENTION_BACKWARD_KERNEL, 'probabilities', probabilities, [batchSize * numHeads, queryLength, sequenceLength]);
    expectShape(ATTENTION_BACKWARD_KERNEL, 'contextGradient', contextGradient, [batchSize * queryLength, numHeads * headDim]);
    const scoresGradient = backend.runWebGPUProgram(attentionScoresGradientProgram(sizes), [contextGradient, probabilities, projections], 'float32');
    const gradient = backend.runWebGPUProgram(
      attentionProjectionsGradientProgram(sizes),
      [scoresGradient, probabilities, projections, contextGradient],
      'float32',
    );
    backend.disposeData(scoresGradient.dataId);
    return [gradient];
  },
};

function attentionSizes(kernelName: string, attrs: tf.NamedAttrMap): AttentionKernelAttributes {
  const sizes = attrs as AttentionKernelAttributes;
  for (const name of ['batchSize', 'sequenceLength', 'numHeads', 'headDim', 'queryLength'] as const) {
    if (!Number.isInteger(sizes[name]) || sizes[name] < 1)
      throw new Error(`${kernelName}: expected attribute '${name}' to be a positive integer, got ${sizes[name]}`);
  }
  if (!Number.isFinite(sizes.scale)) throw new Error(`${kernelName}: expected attribute 'scale' to be finite, got ${sizes.scale}`);
  return sizes;
}

function expectShape(kernelName: string, name: string, input: tf.TensorInfo, shape: number[]): void {
  if (!tf.util.arraysEqual(input.shape, shape)) throw new Error(`${kernelName}: expected input '${name}' of shape [${shape}], got [${input.shape}]`);
}

function projectionsInput(kernelName: string, inputs: tf.NamedTensorInfoMap, sizes: AttentionKernelAttributes): tf.TensorInfo {
  const projections = float32Input(kernelName, inputs, 'projections', 2);
  expectShape(kernelName, 'projections', projections, [sizes.batchSize * sizes.sequenceLength, 3 * sizes.numHeads * sizes.headDim]);
  return projections;
}

/** Which of the trainer's kernels to register for webgpu. */
export interface WebgpuKernelOptions {
  /** The fused LayerNorm, GELU and attention kernels. @default true */
  fused?: boolean;
  /**
   * The tiled products in place of webgpu's BatchMatMul and _FusedMatMul. Opt-in until measured on GPUs: on Mesa's
   * llvmpipe they run at about half the speed of tfjs' own (`bench:gpu-mat-mul` compares both on a device).
   * @default false
   */
  tiledMatMul?: boolean | TiledMatMulOptions;
}

/**
 * Registers the fused kernels ({@link FUSED_KERNEL_NAMES}; @msn/vit then uses them) and, when asked, the tiled
 * products for `webgpu`, which must be initialised; repeated calls re-register with the new options.
 * {@link unregisterWebgpuKernels} restores tfjs' own kernels.
 */
export function registerWebgpuKernels(options: WebgpuKernelOptions = {}): void {
  const { fused = true, tiledMatMul = false } = options;
  unregisterWebgpuKernels();
  if (tiledMatMul !== false) registerTiledMatMulKernels(tiledMatMul === true ? {} : tiledMatMul);
  if (fused) {
    for (const kernelName of FUSED_KERNEL_NAMES) {
      const kernelFunc = KERNELS[kernelName];
      tf.registerKernel({ kernelName, backendName: 'webgpu', kernelFunc: (parameters) => kernelFunc(parameters as unknown as Parameters<KernelFunc>[0]) });
    }
  }
}

/** Removes the kernels {@link registerWebgpuKernels} added, so webgpu runs tfjs' own kernels only. */
export function unregisterWebgpuKernels(): void {
  restoreStockMatMulKernels();
  for (const kernelName of FUSED_KERNEL_NAMES) {
    if (tf.getKernel(kernelName, 'webgpu') !== undefined) tf.unregisterKernel(kernelName, 'webgpu');
  }
}
