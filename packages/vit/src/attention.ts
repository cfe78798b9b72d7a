// Multi-head scaled dot-product attention on projection rows, forward and backward (the core of an encoder block).
import * as tf from '@tensorflow/tfjs-core';
import { attentionBackwardKernel, attentionForwardKernel, type AttentionSizes } from './attention-kernels';
import { simdKernelsAvailable } from './simd-kernels';
import { hasBackendKernel, runBackendKernel } from './backend-kernel';

/**
 * Name of an optional fused kernel for {@link attentionForward}: input `{ projections }` (float32 `[B·L, 3D]`),
 * attributes {@link AttentionKernelAttributes}, outputs `[probabilities [B·H, M, L], context [B·M, D]]`. A backend that
 * registers it (the trainer does for webgpu) reads the heads in place, so the head split and merge transposes go too.
 */
export const ATTENTION_FORWARD_KERNEL = 'MsnAttentionForward';

/**
 * Name of an optional fused kernel for {@link attentionBackward}: inputs `{ contextGradient, probabilities,
 * projections }`, attributes {@link AttentionKernelAttributes}, output `[projectionsGradient [B·L, 3D]]`.
 */
export const ATTENTION_BACKWARD_KERNEL = 'MsnAttentionBackward';

/** The attributes of the attention kernels: the sizes, with M = `queryLength` always given, and the score scale. */
export interface AttentionKernelAttributes {
  batchSize: number;
  sequenceLength: number;
  numHeads: number;
  headDim: number;
  queryLength: number;
  scale: number;
  [name: string]: number;
}

function kernelAttributes(sizes: AttentionSizes, scale: number): AttentionKernelAttributes {
  const { batchSize, sequenceLength, numHeads, headDim } = sizes;
  return { batchSize, sequenceLength, numHeads, headDim, queryLength: sizes.queryLength ?? sequenceLength, scale };
}

// Three implementations with the same results up to float32 rounding: a kernel the backend registered (the trainer's
// WGSL for webgpu), the WebAssembly kernels where tensors live in JavaScript-visible memory (see simd-kernels.ts), tfjs
// ops elsewhere (e.g. WebGL, where reading a tensor would stall the GPU). `implementation` lets tests pick one.

/** Which implementation runs the attention products ('auto': the backend's kernel, else the SIMD kernels, else tfjs). */
export type AttentionImplementation = 'auto' | 'kernels' | 'tfjs';

export type { AttentionSizes } from './attention-kernels';

function useKernels(implementation: AttentionImplementation): boolean {
  return implementation === 'kernels' || (implementation === 'auto' && simdKernelsAvailable());
}

// Part (0 = q, 1 = k, 2 = v) of [B·L, 3D] projection rows, first `rows` rows of each sample, as [B·H, rows, dh]:
// head h takes features [h·dh, (h+1)·dh).
function splitHeads(projections: tf.Tensor2D, sizes: AttentionSizes, part: number, rows = sizes.sequenceLength): tf.Tensor3D {
  const { batchSize, sequenceLength, numHeads, headDim } = sizes;
  const hiddenDim = numHeads * headDim;
  const selected = tf.slice(tf.reshape(projections, [batchSize, sequenceLength, 3 * hiddenDim]), [0, 0, part * hiddenDim], [batchSize, rows, hiddenDim]);
  return tf.reshape(tf.transpose(tf.reshape(selected, [batchSize, rows, numHeads, headDim]), [0, 2, 1, 3]), [batchSize * numHeads, rows, headDim]);
}

// [B·H, rows, dh] → [B·rows, D] rows, heads concatenated; zero rows appended up to L per sample when `padTo` is given.
function mergeHeads(heads: tf.Tensor3D, sizes: AttentionSizes, padTo?: number): tf.Tensor2D {
  const { batchSize, numHeads, headDim } = sizes;
  const rows = heads.shape[1];
  const total = padTo !== undefined && padTo > rows ? padTo : rows;
  let merged = tf.transpose(tf.reshape(heads, [batchSize, numHeads, rows, headDim]), [0, 2, 1, 3]);
  if (total > rows)
    merged = tf.pad(merged, [
      [0, 0],
      [0, total - rows],
      [0, 0],
      [0, 0],
    ]);
  return tf.reshape(merged, [batchSize * total, numHeads * headDim]);
}

/**
 * softmax(scale·q·kᵀ) per (sample, head) and the context rows `[B·M, D]` = heads of probabilities·v concatenated,
 * from projection rows `[B·L, 3D]` = [q | k | v], the queries being the first M = `sizes.queryLength` (default L) rows
 * of each sample. Returns the probabilities `[B·H, M, L]` too (the backward needs them). Not differentiable by tfjs:
 * {@link attentionBackward} is its gradient.
 */
export function attentionForward(
  projections: tf.Tensor2D,
  sizes: AttentionSizes,
  scale: number,
  implementation: AttentionImplementation = 'auto',
): { probabilities: tf.Tensor3D; context: tf.Tensor2D } {
  if (implementation === 'auto' && hasBackendKernel(ATTENTION_FORWARD_KERNEL)) {
    const [probabilities, context] = runBackendKernel<[tf.Tensor3D, tf.Tensor2D]>(ATTENTION_FORWARD_KERNEL, { projections }, kernelAttributes(sizes, scale));
    return { probabilities, context };
  }
  return tf.tidy(() => {
    if (useKernels(implementation)) return attentionForwardKernel(projections, sizes, scale);
    // torch scales the query before the product.
    const query = tf.mul(splitHeads(projections, sizes, 0, sizes.queryLength), scale) as tf.Tensor3D;
    const probabilities = tf.softmax(tf.matMul(query, splitHeads(projections, sizes, 1), false, true)) as tf.Tensor3D;
    return { probabilities, context: mergeHeads(tf.matMul(probabilities, splitHeads(projections, sizes, 2)), sizes) };
  });
}

/**
 * The gradient `[B·L, 3D]` = [dq | dk | dv] of the projection rows of {@link attentionForward}, given the gradient of
 * its context rows `[B·M, D]` and the saved probabilities and projections (dq is zero past the first M rows).
 */
export function attentionBackward(
  contextGradient: tf.Tensor2D,
  probabilities: tf.Tensor3D,
  projections: tf.Tensor2D,
  sizes: AttentionSizes,
  scale: number,
  implementation: AttentionImplementation = 'auto',
): tf.Tensor2D {
  if (implementation === 'auto' && hasBackendKernel(ATTENTION_BACKWARD_KERNEL)) {
    const inputs = { contextGradient, probabilities, projections };
    return runBackendKernel<[tf.Tensor2D]>(ATTENTION_BACKWARD_KERNEL, inputs, kernelAttributes(sizes, scale))[0];
  }
  return tf.tidy(() => {
    if (useKernels(implementation)) return attentionBackwardKernel(contextGradient, probabilities, projections, sizes, scale);
    const queries = sizes.queryLength ?? sizes.sequenceLength;
    const query = splitHeads(projections, sizes, 0, queries);
    const key = splitHeads(projections, sizes, 1);
    const value = splitHeads(projections, sizes, 2);
    const headsGradient = tf.reshape(tf.transpose(tf.reshape(contextGradient, [sizes.batchSize, queries, sizes.numHeads, sizes.headDim]), [0, 2, 1, 3]), [
      sizes.batchSize * sizes.numHeads,
      queries,
      sizes.headDim,
    ]) as tf.Tensor3D;
    const probabilitiesGradient = tf.matMul(headsGradient, value, false, true);
    const valueGradient = tf.matMul(probabilities, headsGradient, true, false) as tf.Tensor3D;
    // Softmax backward: P ⊙ (dP − Σ dP ⊙ P).
    const scoresGradient = tf.mul(probabilities, tf.sub(probabilitiesGradient, tf.sum(tf.mul(probabilitiesGradient, probabilities), 2, true))) as tf.Tensor3D;
    const queryGradient = tf.mul(tf.matMul(scoresGradient, key), scale) as tf.Tensor3D;
    const keyGradient = tf.mul(tf.matMul(scoresGradient, query, true, false), scale) as tf.Tensor3D;
    return tf.concat(
      [mergeHeads(queryGradient, sizes, sizes.sequenceLength), mergeHeads(keyGradient, sizes), mergeHeads(valueGradient, sizes)],
      1,
    ) as tf.Tensor2D;
  });
}
