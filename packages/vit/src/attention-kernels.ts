// The per-head attention products of a whole block in the package's WebAssembly SIMD kernels (simd-kernels.ts).
import type * as tf from '@tensorflow/tfjs-core';
import { runInSampleChunks, type SimdKernels } from './simd-kernels';

// Why: the attention products are one small matrix product per (sample, head). tfjs-backend-wasm 4.22 runs batched
// products in a scalar loop (~2 GFLOP/s, a third of a training step); XNNPACK's fast path would need one sliced 2-D
// product per (sample, head), whose slicing and op overhead cost more than they save. The kernels compute all of them
// in one call at ~30 GFLOP/s (2 shared cores), reading heads in place from the [B·L, 3D] projection rows, so no head
// split/merge transposes either.

/** Sizes of one attention call: B samples of L tokens, H heads of `headDim` features (D = H·headDim). */
export interface AttentionSizes {
  batchSize: number;
  sequenceLength: number;
  numHeads: number;
  headDim: number;
  /** Only the first M rows of each sample query (keys and values are all L rows). @default sequenceLength */
  queryLength?: number;
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
  module: SimdKernels,
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

/**
 * Probabilities `[B·H, M, L]` = softmax(scale · q·kᵀ) and context rows `[B·M, D]` (heads concatenated) = probabilities·v
 * per (sample, head), from projection rows `[B·L, 3D]` ([q | k | v], head h = features [h·dh, (h+1)·dh) of each part);
 * the queries are the first M = `queryLength` rows of each sample.
 */
export function attentionForwardKernel(projections: tf.Tensor2D, sizes: AttentionSizes, scale: number): { probabilities: tf.Tensor3D; context: tf.Tensor2D } {
  const { batchSize, sequenceLength: length, numHeads, headDim } = sizes;
  const queries = queryLength(sizes);
  const hiddenDim = numHeads * headDim;
  const width = 3 * hiddenDim;
  const [probabilities, context] = runInSampleChunks({
    batchSize,
    inputs: [{ tensor: projections, perSample: length * width }],
    outputs: [
      { shape: [batchSize * numHeads, queries, length], perSample: numHeads * queries * length },
      { shape: [batchSize * queries, hiddenDim], perSample: queries * hiddenDim },
    ],
    scratch: Math.max(headDim * (length + 8), length * (headDim + 8)),
    body: ({ module, inputs: [rows], outputs: [weights, contextRows], scratch: panel, samples }) => {
      const chunk = { ...sizes, batchSize: samples };
      product(
        module,
        chunk,
        { m: queries, k: headDim, n: length, alpha: scale },
        rowsOperand(rows!, chunk, length, width, 0),
        rowsOperand(rows!, chunk, length, width, 1, true),
        scoresOperand(weights!, chunk),
        panel,
      );
      module.softmax_rows(samples * numHeads * queries, length, weights! * 4);
      product(
        module,
        chunk,
        { m: queries, k: length, n: headDim, alpha: 1 },
        scoresOperand(weights!, chunk),
        rowsOperand(rows!, chunk, length, width, 2),
        rowsOperand(contextRows!, chunk, queries, hiddenDim, 0),
        panel,
      );
    },
  });
  return { probabilities: probabilities as tf.Tensor3D, context: context as tf.Tensor2D };
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
  const { batchSize, sequenceLength: length, numHeads, headDim } = sizes;
  const queries = queryLength(sizes);
  const hiddenDim = numHeads * headDim;
  const width = 3 * hiddenDim;
  const squarePerSample = numHeads * queries * length;
  const [projectionsGradient] = runInSampleChunks({
    batchSize,
    inputs: [
      { tensor: projections, perSample: length * width },
      { tensor: probabilities, perSample: squarePerSample },
      { tensor: contextGradient, perSample: queries * hiddenDim },
    ],
    outputs: [{ shape: [batchSize * length, width], perSample: length * width, zeroed: queries < length }],
    temporaries: [squarePerSample],
    scratch: Math.max(headDim * (length + 8), Math.max(length, queries) * (headDim + 8)),
    body: ({ module, inputs: [rows, weights, gradientRows], outputs: [gradient], temporaries: [scoresGradient], scratch: panel, samples }) => {
      const chunk = { ...sizes, batchSize: samples };
      const gradientOperand = rowsOperand(gradientRows!, chunk, queries, hiddenDim, 0);
      // dP = dC·vᵀ, then dS in place.
      product(
        module,
        chunk,
        { m: queries, k: headDim, n: length, alpha: 1 },
        gradientOperand,
        rowsOperand(rows!, chunk, length, width, 2, true),
        scoresOperand(scoresGradient!, chunk),
        panel,
      );
      module.softmax_backward(samples * numHeads * queries, length, scoresGradient! * 4, weights! * 4, scoresGradient! * 4);
      const output = (part: number) => rowsOperand(gradient!, chunk, length, width, part);
      const square = scoresOperand(scoresGradient!, chunk);
      const squareTransposed = scoresOperand(scoresGradient!, chunk, true);
      product(module, chunk, { m: queries, k: length, n: headDim, alpha: scale }, square, rowsOperand(rows!, chunk, length, width, 1), output(0), panel);
      product(
        module,
        chunk,
        { m: length, k: queries, n: headDim, alpha: scale },
        squareTransposed,
        rowsOperand(rows!, chunk, length, width, 0),
        output(1),
        panel,
      );
      product(module, chunk, { m: length, k: queries, n: headDim, alpha: 1 }, scoresOperand(weights!, chunk, true), gradientOperand, output(2), panel);
    },
  });
  return projectionsGradient as tf.Tensor2D;
}
