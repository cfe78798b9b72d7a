// @file What the trainer's WGSL programs need of tfjs-backend-webgpu (kept local: the package is an optional dependency).
import type * as tf from '@tensorflow/tfjs-core';

/** tfjs-backend-webgpu's `WebGPUProgram` as our programs fill it in. */
export interface WebGPUProgramShape {
  variableNames: string[];
  outputShape: number[];
  shaderKey: string;
  dispatchLayout: { x: number[]; y?: number[] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number];
  uniforms?: string;
  size?: boolean;
  getUserCode: () => string;
}

/** The part of tfjs-backend-webgpu's `WebGPUBackend` that runs a program and frees a temporary. */
export interface WebGPUBackendShape {
  runWebGPUProgram(
    program: WebGPUProgramShape,
    inputs: tf.TensorInfo[],
    outputDtype: tf.DataType,
    uniforms?: { type: string; data: number[] }[],
  ): tf.TensorInfo;
  disposeData(dataId: object): boolean;
}

// WebGPU guarantees 65535 workgroups per dispatch dimension; more spill into the second dimension.
const MAX_WORKGROUPS_PER_DIMENSION = 65535;

/** A dispatch of `workgroups` workgroups as x·y ≥ `workgroups` (read back with {@link FLAT_WORKGROUP_INDEX}). */
export function flatDispatch(workgroups: number): [number, number, number] {
  const x = Math.min(workgroups, MAX_WORKGROUPS_PER_DIMENSION);
  return [x, Math.ceil(workgroups / x), 1];
}

/** WGSL expression: the workgroup's index in a {@link flatDispatch} (past the count in a partly used last row). */
export const FLAT_WORKGROUP_INDEX = 'i32(workgroupId.y * numWorkgroups.x + workgroupId.x)';

/** The inputs of a kernel call, checked: float32 of the expected rank, else an error naming the kernel and input. */
export function float32Input(kernelName: string, inputs: tf.NamedTensorInfoMap, name: string, rank: number): tf.TensorInfo {
  const input = inputs[name];
  if (input === undefined || input.dtype !== 'float32' || input.shape.length !== rank) {
    const got = input === undefined ? 'nothing' : `${input.dtype} [${input.shape}]`;
    throw new Error(`${kernelName}: expected input '${name}' to be a float32 tensor of rank ${rank}, got ${got}`);
  }
  return input;
}
