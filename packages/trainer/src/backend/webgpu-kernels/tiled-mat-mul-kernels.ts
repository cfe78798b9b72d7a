// @file BatchMatMul and _FusedMatMul for webgpu that run the tiled program on large products, the stock kernel otherwise.
import * as tf from '@tensorflow/tfjs-core';
import { declareTransposeFreeMatMul } from '@msn/vit';
import { TILE, TILED_MAT_MUL_THREADS, type TiledMatMulShape, tiledMatMulProgram } from './tiled-mat-mul-program';
import type { WebGPUBackendShape } from './webgpu-program';

const REPLACED_KERNELS = ['BatchMatMul', '_FusedMatMul'] as const;
const stockKernels = new Map<string, tf.KernelConfig>();

/** When the tiled program runs: at least this many 64×64 output tiles (fewer leave a large GPU idle: stock kernel). */
export interface TiledMatMulOptions {
  /** @default 128 */
  minimumTiles?: number;
}

/**
 * The product as the tiled program takes it, or undefined where the stock kernel should run: another dtype, outer
 * dimensions that broadcast other than all-or-one, an activation, or fewer than `minimumTiles` output tiles.
 */
export function tiledMatMulShape(inputs: tf.NamedTensorInfoMap, attrs: tf.NamedAttrMap, minimumTiles: number): TiledMatMulShape | undefined {
  const { a, b, bias, preluActivationWeights } = inputs;
  if (a === undefined || b === undefined || a.dtype !== 'float32' || b.dtype !== 'float32') return undefined;
  if (preluActivationWeights !== undefined || (attrs.activation !== undefined && attrs.activation !== null && attrs.activation !== 'linear')) return undefined;
  if (a.shape.length < 2 || a.shape.length !== b.shape.length) return undefined;
  const transposeA = attrs.transposeA === true;
  const transposeB = attrs.transposeB === true;
  const rank = a.shape.length;
  const outerA = a.shape.slice(0, -2);
  const outerB = b.shape.slice(0, -2);
  const batchA = outerA.reduce((product, extent) => product * extent, 1);
  const batchB = outerB.reduce((product, extent) => product * extent, 1);
  const sameOuter = outerA.every((extent, axis) => extent === outerB[axis]);
  if (!sameOuter && batchA !== 1 && batchB !== 1) return undefined;
  const m = transposeA ? a.shape[rank - 1]! : a.shape[rank - 2]!;
  const k = transposeA ? a.shape[rank - 2]! : a.shape[rank - 1]!;
  const n = transposeB ? b.shape[rank - 2]! : b.shape[rank - 1]!;
  if ((transposeB ? b.shape[rank - 1] : b.shape[rank - 2]) !== k) return undefined;
  if (bias !== undefined && (bias.dtype !== 'float32' || bias.shape.reduce((product, extent) => product * extent, 1) !== n || bias.shape.at(-1) !== n))
    return undefined;
  const batch = Math.max(batchA, batchB);
  const tiles = batch * Math.ceil(m / TILE) * Math.ceil(n / TILE);
  if (tiles < minimumTiles || Math.ceil(m / TILE) > 65535 || Math.ceil(n / TILE) > 65535 || batch > 65535) return undefined;
  const outer = batchA >= batchB ? outerA : outerB;
  return { batch, batchA, batchB, m, n, k, transposeA, transposeB, bias: bias !== undefined, outputShape: [...outer, m, n] };
}

/**
 * Replaces webgpu's BatchMatMul and _FusedMatMul with kernels that run {@link tiledMatMulProgram} where a product
 * is large enough and keep the stock kernel for the rest (idempotent; undone by {@link restoreStockMatMulKernels}).
 * Does nothing where the device allows fewer than 256 invocations per workgroup.
 */
export function registerTiledMatMulKernels(options: TiledMatMulOptions = {}): void {
  const { minimumTiles = 128 } = options;
  const { device } = tf.findBackend('webgpu') as unknown as { device: { limits: { maxComputeInvocationsPerWorkgroup: number } } };
  if (device.limits.maxComputeInvocationsPerWorkgroup < TILED_MAT_MUL_THREADS) return;
  restoreStockMatMulKernels();
  for (const kernelName of REPLACED_KERNELS) {
    const stock = tf.getKernel(kernelName, 'webgpu');
    if (stock === undefined) continue;
    stockKernels.set(kernelName, stock);
    tf.unregisterKernel(kernelName, 'webgpu');
    tf.registerKernel({
      kernelName,
      backendName: 'webgpu',
      kernelFunc: (parameters) => {
        const shape = tiledMatMulShape(parameters.inputs, parameters.attrs ?? {}, minimumTiles);
        if (shape === undefined) return stock.kernelFunc(parameters);
        const { program, uniforms } = tiledMatMulProgram(shape);
        const { a, b, bias } = parameters.inputs;
        const inputs = bias === undefined ? [a!, b!] : [a!, b!, bias];
        return (parameters.backend as unknown as WebGPUBackendShape).runWebGPUProgram(program, inputs, 'float32', uniforms);
      },
    });
  }
  // The tiles load either layout along its contiguous axis, so @msn/vit may skip its explicit weight transposes.
  declareTransposeFreeMatMul('webgpu', true);
}

/** Puts webgpu's stock BatchMatMul and _FusedMatMul back (after {@link registerTiledMatMulKernels}). */
export function restoreStockMatMulKernels(): void {
  for (const [kernelName, stock] of stockKernels) {
    tf.unregisterKernel(kernelName, 'webgpu');
    tf.registerKernel(stock);
  }
  stockKernels.clear();
  declareTransposeFreeMatMul('webgpu', false);
}

/** Whether webgpu's products currently run through {@link registerTiledMatMulKernels}. */
export function tiledMatMulKernelsRegistered(): boolean {
  return stockKernels.size > 0;
}
