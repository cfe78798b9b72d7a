// @file The wasm backend's BatchMatMul and _FusedMatMul replaced by native BLAS products; the stock kernels stay as fallback.
import * as tf from '@tensorflow/tfjs-core';
import { declareTransposeFreeMatMul } from '@msn/vit';
import type { BlasLibrary } from './blas-library';
import { blasProduct, type WasmHeapBackend } from './blas-product';
import { applyActivation, isPointwiseActivation } from './fused-activation';

// Why: tfjs-backend-wasm 4.22 multiplies on one thread of 128-bit SIMD (XNNPACK, or a scalar loop for transposed
// operands), three quarters of an MSN step. A system BLAS runs the same products on every core with the CPU's widest
// vectors, reading and writing the tensors where they already are in the wasm heap.

const KERNEL_NAMES = [tf.BatchMatMul, tf._FusedMatMul] as const;

interface Installed {
  blas: BlasLibrary;
  stock: tf.KernelConfig[];
}
let installed: Installed | undefined;

type KernelArguments = Parameters<tf.KernelFunc>[0];

function batchMatMul(blas: BlasLibrary, stock: tf.KernelConfig): tf.KernelFunc {
  return (args: KernelArguments) => {
    const { a, b } = args.inputs as unknown as tf.BatchMatMulInputs & Record<'a' | 'b', tf.TensorInfo>;
    const { transposeA, transposeB } = args.attrs as unknown as tf.BatchMatMulAttrs;
    if (a.dtype !== 'float32' || b.dtype !== 'float32') return stock.kernelFunc(args);
    return blasProduct(blas, args.backend as unknown as WasmHeapBackend, a, b, transposeA, transposeB);
  };
}

function fusedMatMul(blas: BlasLibrary, stock: tf.KernelConfig): tf.KernelFunc {
  return (args: KernelArguments) => {
    const { a, b, bias, preluActivationWeights } = args.inputs as unknown as Record<'a' | 'b', tf.TensorInfo> &
      Partial<Record<'bias' | 'preluActivationWeights', tf.TensorInfo>>;
    const { transposeA, transposeB, activation, leakyreluAlpha } = args.attrs as unknown as tf._FusedMatMulAttrs;
    const columns = (transposeB ? b.shape.at(-2) : b.shape.at(-1)) ?? 0;
    // Only a bias of one value per output column (the stock kernel's rank-1 bias) is prefilled here.
    const biasFits = bias == null || (bias.shape.length === 1 && (bias.shape[0] === columns || bias.shape[0] === 1) && bias.dtype === 'float32');
    if (a.dtype !== 'float32' || b.dtype !== 'float32' || preluActivationWeights != null || !biasFits || !isPointwiseActivation(activation)) {
      return stock.kernelFunc(args);
    }
    const backend = args.backend as unknown as WasmHeapBackend;
    const prefillBias =
      bias == null
        ? undefined
        : (out: Float32Array, n: number) => {
            const heap = backend.wasm.HEAPF32;
            const start = backend.dataIdMap.get(bias.dataId)!.memoryOffset / 4;
            if (bias.shape[0] === 1) {
              out.fill(heap[start]!);
              return;
            }
            const row = heap.subarray(start, start + n);
            for (let offset = 0; offset < out.length; offset += n) out.set(row, offset);
          };
    const out = blasProduct(blas, backend, a, b, transposeA, transposeB, prefillBias);
    const outInfo = backend.dataIdMap.get(out.dataId)!;
    const size = tf.util.sizeFromShape(out.shape);
    applyActivation(backend.wasm.HEAPF32.subarray(outInfo.memoryOffset / 4, outInfo.memoryOffset / 4 + size), activation, leakyreluAlpha ?? 0);
    return out;
  };
}

/**
 * Makes the wasm backend's BatchMatMul and _FusedMatMul run on `blas` (the stock kernels remain for other dtypes,
 * prelu and non-vector biases) and declares wasm's products transpose-free to @msn/vit. Replaces an earlier
 * installation. The backend need not be active.
 *
 * @example installBlasKernels((await findBlasLibrary()).library!); // tf.matMul on wasm now calls cblas_sgemm
 */
export function installBlasKernels(blas: BlasLibrary): void {
  uninstallBlasKernels();
  const stock = KERNEL_NAMES.map((name) => {
    const config = tf.getKernel(name, 'wasm');
    if (config === undefined) throw new Error(`installBlasKernels: the wasm backend has no '${name}' kernel; import @tensorflow/tfjs-backend-wasm first`);
    return config;
  });
  const [stockBatchMatMul, stockFusedMatMul] = stock as [tf.KernelConfig, tf.KernelConfig];
  for (const config of stock) tf.unregisterKernel(config.kernelName, 'wasm');
  // The stock setup functions stay attached: a re-initialised backend then still prepares the fallbacks.
  tf.registerKernel({ ...stockBatchMatMul, kernelFunc: batchMatMul(blas, stockBatchMatMul) });
  tf.registerKernel({ ...stockFusedMatMul, kernelFunc: fusedMatMul(blas, stockFusedMatMul) });
  installed = { blas, stock };
  // sgemm reads transposed operands in place: @msn/vit's layers then skip their explicit transposes.
  declareTransposeFreeMatMul('wasm', true);
}

/** Restores the stock wasm kernels (no-op when none were replaced). */
export function uninstallBlasKernels(): void {
  if (installed === undefined) return;
  for (const config of installed.stock) {
    tf.unregisterKernel(config.kernelName, 'wasm');
    tf.registerKernel(config);
  }
  installed = undefined;
  declareTransposeFreeMatMul('wasm', false);
}

/** The BLAS the wasm backend's products run on, or null for the stock kernels. */
export function installedBlasLibrary(): BlasLibrary | null {
  return installed?.blas ?? null;
}
