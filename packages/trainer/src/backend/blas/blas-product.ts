// @file A (batched, broadcast) matrix product of two wasm-backend tensors by cblas_sgemm, in place on the wasm heap.
import * as tf from '@tensorflow/tfjs-core';
import type { BlasLibrary } from './blas-library';

/** The members of tfjs-backend-wasm's BackendWasm used here: its heap, where each tensor lives, new outputs. */
export interface WasmHeapBackend {
  wasm: { HEAPF32: Float32Array };
  dataIdMap: { get(dataId: object): { memoryOffset: number } | undefined };
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
}

/** Sizes of op(A)·op(B) over broadcast batch dimensions, and which batch of A and of B each output batch reads. */
export interface ProductPlan {
  m: number;
  n: number;
  k: number;
  outShape: number[];
  aBatches: Int32Array;
  bBatches: Int32Array;
}

// For every batch of `outBatchShape` (row-major), the batch of an operand of `batchShape` it reads (NumPy broadcasting).
function broadcastBatches(batchShape: number[], outBatchShape: number[]): Int32Array {
  const count = tf.util.sizeFromShape(outBatchShape);
  const indices = new Int32Array(count);
  const offset = outBatchShape.length - batchShape.length;
  for (let batch = 0; batch < count; batch++) {
    let rest = batch;
    let index = 0;
    let stride = 1;
    for (let axis = outBatchShape.length - 1; axis >= offset; axis--) {
      const coordinate = rest % outBatchShape[axis]!;
      rest = Math.floor(rest / outBatchShape[axis]!);
      const size = batchShape[axis - offset]!;
      if (size !== 1) index += coordinate * stride;
      stride *= size;
    }
    indices[batch] = index;
  }
  return indices;
}

/** Plans op(A)·op(B) for operands of rank ≥ 2, as tfjs's matMul defines it; throws when the shapes do not fit. */
export function planProduct(aShape: number[], bShape: number[], transposeA: boolean, transposeB: boolean): ProductPlan {
  const [aRows, aColumns] = aShape.slice(-2) as [number, number];
  const [bRows, bColumns] = bShape.slice(-2) as [number, number];
  const m = transposeA ? aColumns : aRows;
  const k = transposeA ? aRows : aColumns;
  const n = transposeB ? bRows : bColumns;
  const bInner = transposeB ? bColumns : bRows;
  tf.util.assert(
    k === bInner,
    () =>
      `Error in matMul: inner shapes (${k}) and (${bInner}) of Tensors with shapes ${aShape} and ${bShape} and transposeA=${transposeA} and transposeB=${transposeB} must match.`,
  );
  const aBatchShape = aShape.slice(0, -2);
  const bBatchShape = bShape.slice(0, -2);
  const outBatchShape = tf.broadcast_util.assertAndGetBroadcastShape(aBatchShape, bBatchShape);
  return {
    m,
    n,
    k,
    outShape: [...outBatchShape, m, n],
    aBatches: broadcastBatches(aBatchShape, outBatchShape),
    bBatches: broadcastBatches(bBatchShape, outBatchShape),
  };
}

// Whether the batches of A are 0, 1, 2, … while B is one matrix: then A's batches are one tall matrix.
function isStackOverOneMatrix(plan: ProductPlan): boolean {
  if (!plan.bBatches.every((batch) => batch === 0)) return false;
  return plan.aBatches.every((batch, index) => batch === index);
}

/**
 * op(A)·op(B) into a new float32 output tensor on the wasm backend. `initialise`, when given, fills the output with
 * the term to add (e.g. a bias in every row) and the product is accumulated onto it (beta = 1).
 */
export function blasProduct(
  blas: BlasLibrary,
  backend: WasmHeapBackend,
  a: tf.TensorInfo,
  b: tf.TensorInfo,
  transposeA: boolean,
  transposeB: boolean,
  initialise?: (out: Float32Array, n: number) => void,
): tf.TensorInfo {
  const plan = planProduct(a.shape, b.shape, transposeA, transposeB);
  const { m, n, k } = plan;
  const out = backend.makeOutput(plan.outShape, 'float32');
  const outSize = tf.util.sizeFromShape(plan.outShape);
  if (outSize === 0) return out;
  // Read the heap after makeOutput: its malloc may have grown the wasm memory, which replaces the buffer.
  const heap = backend.wasm.HEAPF32;
  const floatOffset = (info: tf.TensorInfo) => backend.dataIdMap.get(info.dataId)!.memoryOffset / 4;
  const aStart = floatOffset(a);
  const bStart = floatOffset(b);
  const cStart = floatOffset(out);
  const c = heap.subarray(cStart, cStart + outSize);
  if (initialise !== undefined) initialise(c, n);
  const beta = initialise === undefined ? 0 : 1;
  if (k === 0) {
    if (beta === 0) c.fill(0);
    return out;
  }
  const lda = transposeA ? m : k;
  const ldb = transposeB ? k : n;
  const aSize = m * k;
  const bSize = k * n;
  if (!transposeA && isStackOverOneMatrix(plan)) {
    // [batch, m, k] · [k, n] (a linear layer over a batch of rows): one product of batch·m rows.
    const rows = plan.aBatches.length * m;
    blas.sgemm(false, transposeB, rows, n, k, 1, heap.subarray(aStart, aStart + rows * k), k, heap.subarray(bStart, bStart + bSize), ldb, beta, c, n);
    return out;
  }
  for (let batch = 0; batch < plan.aBatches.length; batch++) {
    const aOffset = aStart + plan.aBatches[batch]! * aSize;
    const bOffset = bStart + plan.bBatches[batch]! * bSize;
    blas.sgemm(
      transposeA,
      transposeB,
      m,
      n,
      k,
      1,
      heap.subarray(aOffset, aOffset + aSize),
      lda,
      heap.subarray(bOffset, bOffset + bSize),
      ldb,
      beta,
      c.subarray(batch * m * n, (batch + 1) * m * n),
      n,
    );
  }
  return out;
}
