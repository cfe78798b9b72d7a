// The per-head attention products of a whole block in a small WebAssembly SIMD module (kernels/attention-kernels.c).
import * as tf from '@tensorflow/tfjs-core';
import { ATTENTION_KERNELS_WASM_BASE64 } from './attention-kernels-wasm';

// Why: the attention products are one small matrix product per (sample, head). tfjs-backend-wasm 4.22 runs batched
// products in a scalar loop (~2 GFLOP/s, a third of a training step); XNNPACK's fast path needs one 2-D product per
// head, which costs more in op overhead than it saves. The module computes all of them in one call at ~30 GFLOP/s
// (2 shared cores), reading heads in place from the [B·L, 3D] projection rows, so no head split/merge transposes
// either. Operands are copied in and out of the module's memory (cheap next to the products). Only used on backends
// whose tensors live in JavaScript-visible memory ('wasm', 'cpu'), where reading a tensor is a copy, not a GPU sync.

/** Sizes of one attention call: B samples of L tokens, H heads of `headDim` features (D = H·headDim). */
export interface AttentionSizes {
  batchSize: number;
  sequenceLength: number;
  numHeads: number;
  headDim: number;
  /** Only the first M rows of each sample query (keys and values are all L rows). @default sequenceLength */
  queryLength?: number;
}

interface KernelExports {
  memory: WebAssemblyMemory;
  __heap_base: { value: number };
  batched_matmul: (...args: number[]) => void;
  softmax_backward: (rowCount: number, length: number, gradient: number, probabilities: number, out: number) => void;
}

// The few WebAssembly members used here (tfjs-core's lib settings have no WebAssembly types).
interface WebAssemblyMemory {
  buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WebAssemblyApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
}

const PAGE_BYTES = 65536;
const KERNEL_BACKENDS = new Set(['wasm', 'cpu']);
let kernels: KernelExports | null | undefined;

// Compiled on first use; null when this runtime cannot (no WebAssembly or no SIMD), and callers fall back to tfjs ops.
function loadKernels(): KernelExports | null {
  if (kernels !== undefined) return kernels;
  kernels = null;
  const api = (globalThis as { WebAssembly?: WebAssemblyApi }).WebAssembly;
  if (api === undefined || typeof atob !== 'function') return kernels;
  const binary = atob(ATTENTION_KERNELS_WASM_BASE64);
  const bytes = new Uint8Array(binary.length);
  for (let index = 0; index < binary.length; index++) bytes[index] = binary.charCodeAt(index);
  try {
    if (!api.validate(bytes)) return kernels;
    // Synchronous compilation: the module is under the 4 KiB browsers allow on the main thread.
    kernels = new api.Instance(new api.Module(bytes), {}).exports as KernelExports;
  } catch {
    kernels = null;
  }
  return kernels;
}

/** Whether the attention kernels run on the current backend (else the block uses tfjs ops). */
export function attentionKernelsAvailable(): boolean {
  return KERNEL_BACKENDS.has(tf.getBackend()) && loadKernels() !== null;
}

// Float offsets of consecutive regions of the given sizes in the module's memory (grown as needed; wasm memory never
// shrinks, so it stays at the largest block seen: a few MiB at ViT-S sizes).
function layout(module: KernelExports, sizes: number[]): { heap: Float32Array; offsets: number[] } {
  const offsets: number[] = [];
  let next = Math.ceil(module.__heap_base.value / 16) * 4;
  for (const size of sizes) {
    offsets.push(next);
    next += Math.ceil(size / 4) * 4; // 16-byte aligned regions
  }
  const needed = next * 4 - module.memory.buffer.byteLength;
  if (needed > 0) module.memory.grow(Math.ceil(needed / PAGE_BYTES));
  return { heap: new Float32Array(module.memory.buffer), offsets };
}

function copyIn(heap: Float32Array, offset: number, tensor: tf.Tensor): void {
  heap.set(tensor.dataSync() as Float32Array, offset);
}

function copyOut<R extends tf.Rank>(heap: Float32Array, offset: number, shape: number[]): tf.Tensor<R> {
  const size = shape.reduce((product, dimension) => product * dimension, 1);
  const result: tf.Tensor = tf.tensor(heap.slice(offset, offset + size), shape, 'float32');
  return result as tf.Tensor<R>;
}

// Strides (in floats) of the operands, as batched_matmul takes them: heads are column ranges of the row matrices.
interface Operand {
  offset: number;
  outer: number;
  inner: number;
  row: number;
  column: number;
}

function product(
  module: KernelExports,
  sizes: AttentionSizes,
  dimensions: { m: number; k: number; n: number; alpha: number },
  a: Operand,
  b: Operand,
  c: Omit<Operand, 'column'>,
  panel: number,
): void {
  module.batched_matmul(
    sizes.batchSize,
    sizes.numHeads,
    dimensions.m,
    dimensions.k,
    dimensions.n,
    dimensions.alpha,
    a.offset * 4,
    a.outer,
    a.inner,
    a.row,
    a.column,
    b.offset * 4,
    b.outer,
    b.inner,
    b.row,
    b.column,
    c.offset * 4,
    c.outer,
    c.inner,
    c.row,
    panel * 4,
  );
}

// Head views of a row matrix `[B·rowsPerSample, width]`: head h of part p (0 = q, 1 = k, 2 = v of [q | k | v] rows,
// or 0 for a plain [B·M, D] matrix) is columns [p·D + h·dh, p·D + (h+1)·dh); `transposed` reads it as [dh, rows].
function rowsOperand(offset: number, sizes: AttentionSizes, rowsPerSample: number, width: number, part: number, transposed = false): Operand {
  const hiddenDim = sizes.numHeads * sizes.headDim;
  return {
    offset: offset + part * hiddenDim,
    outer: rowsPerSample * width,
    inner: sizes.headDim,
    row: transposed ? 1 : width,
    column: transposed ? width : 1,
  };
}

// Views of [B·H, M, L] score or probability matrices (M query rows, L keys); `transposed` reads each as [L, M].
function scoresOperand(offset: number, sizes: AttentionSizes, transposed = false): Operand {
  const rows = queryLength(sizes);
  const columns = sizes.sequenceLength;
  return { offset, outer: sizes.numHeads * rows * columns, inner: rows * columns, row: transposed ? 1 : columns, column: transposed ? columns : 1 };
}

function queryLength(sizes: AttentionSizes): number {
  return sizes.queryLength ?? sizes.sequenceLength;
}

function loaded(): KernelExports {
  const module = loadKernels();
  if (module === null) throw new Error('attention kernels are not available in this runtime');
  return module;
}

/**
 * Scores `[B·H, M, L]` = scale · q·kᵀ per (sample, head), from projection rows `[B·L, 3D]` ([q | k | v], head h =
 * features [h·dh, (h+1)·dh) of each part); the queries are the first M = `queryLength` rows of each sample.
 */
export function attentionScoresKernel(projections: tf.Tensor2D, sizes: AttentionSizes, scale: number): tf.Tensor3D {
  const module = loaded();
  const { batchSize, sequenceLength: length, numHeads, headDim } = sizes;
  const queries = queryLength(sizes);
  const width = 3 * numHeads * headDim;
  const { heap, offsets } = layout(module, [projections.size, batchSize * numHeads * queries * length, headDim * (length + 8)]);
  const [rows, scores, panel] = offsets as [number, number, number];
  copyIn(heap, rows, projections);
  product(
    module,
    sizes,
    { m: queries, k: headDim, n: length, alpha: scale },
    rowsOperand(rows, sizes, length, width, 0),
    rowsOperand(rows, sizes, length, width, 1, true),
    scoresOperand(scores, sizes),
    panel,
  );
  return copyOut<tf.Rank.R3>(heap, scores, [batchSize * numHeads, queries, length]);
}

/** Context rows `[B·M, D]` (heads concatenated) = probabilities `[B·H, M, L]` · v per (sample, head). */
export function attentionContextKernel(probabilities: tf.Tensor3D, projections: tf.Tensor2D, sizes: AttentionSizes): tf.Tensor2D {
  const module = loaded();
  const { batchSize, sequenceLength: length, numHeads, headDim } = sizes;
  const queries = queryLength(sizes);
  const hiddenDim = numHeads * headDim;
  const { heap, offsets } = layout(module, [projections.size, probabilities.size, batchSize * queries * hiddenDim, length * (headDim + 8)]);
  const [rows, weights, context, panel] = offsets as [number, number, number, number];
  copyIn(heap, rows, projections);
  copyIn(heap, weights, probabilities);
  product(
    module,
    sizes,
    { m: queries, k: length, n: headDim, alpha: 1 },
    scoresOperand(weights, sizes),
    rowsOperand(rows, sizes, length, 3 * hiddenDim, 2),
    rowsOperand(context, sizes, queries, hiddenDim, 0),
    panel,
  );
  return copyOut<tf.Rank.R2>(heap, context, [batchSize * queries, hiddenDim]);
}

/**
 * Gradient `[B·L, 3D]` = [dq | dk | dv] of the projection rows, given the gradient of the context rows `[B·M, D]`,
 * the saved probabilities and projections, and the score scale: dP = dC·vᵀ, dS = P ⊙ (dP − Σ dP ⊙ P) (softmax),
 * dq = scale·dS·k, dk = scale·dSᵀ·q, dv = Pᵀ·dC (dq is zero past the first M rows of a sample).
 */
export function attentionBackwardKernel(
  contextGradient: tf.Tensor2D,
  probabilities: tf.Tensor3D,
  projections: tf.Tensor2D,
  sizes: AttentionSizes,
  scale: number,
): tf.Tensor2D {
  const module = loaded();
  const { batchSize, sequenceLength: length, numHeads, headDim } = sizes;
  const queries = queryLength(sizes);
  const hiddenDim = numHeads * headDim;
  const width = 3 * hiddenDim;
  const panelSize = Math.max(headDim * (length + 8), Math.max(length, queries) * (headDim + 8));
  const { heap, offsets } = layout(module, [
    projections.size,
    probabilities.size,
    contextGradient.size,
    probabilities.size,
    projections.size,
    panelSize,
  ]);
  const [rows, weights, gradientRows, scoresGradient, projectionsGradient, panel] = offsets as [number, number, number, number, number, number];
  copyIn(heap, rows, projections);
  copyIn(heap, weights, probabilities);
  copyIn(heap, gradientRows, contextGradient);
  if (queries < length) heap.fill(0, projectionsGradient, projectionsGradient + projections.size);
  const gradientOperand = rowsOperand(gradientRows, sizes, queries, hiddenDim, 0);
  // dP = dC·vᵀ, then dS in place.
  product(
    module,
    sizes,
    { m: queries, k: headDim, n: length, alpha: 1 },
    gradientOperand,
    rowsOperand(rows, sizes, length, width, 2, true),
    scoresOperand(scoresGradient, sizes),
    panel,
  );
  module.softmax_backward(batchSize * numHeads * queries, length, scoresGradient * 4, weights * 4, scoresGradient * 4);
  const output = (part: number) => rowsOperand(projectionsGradient, sizes, length, width, part);
  product(module, sizes, { m: queries, k: length, n: headDim, alpha: scale }, scoresOperand(scoresGradient, sizes), rowsOperand(rows, sizes, length, width, 1), output(0), panel);
  product(module, sizes, { m: length, k: queries, n: headDim, alpha: scale }, scoresOperand(scoresGradient, sizes, true), rowsOperand(rows, sizes, length, width, 0), output(1), panel);
  product(module, sizes, { m: length, k: queries, n: headDim, alpha: 1 }, scoresOperand(weights, sizes, true), gradientOperand, output(2), panel);
  return copyOut<tf.Rank.R2>(heap, projectionsGradient, [batchSize * length, width]);
}
