// Multi-head scaled dot-product attention on projection rows, forward and backward (the core of an encoder block).
import * as tf from '@tensorflow/tfjs-core';
import {
  attentionBackwardKernel,
  attentionContextKernel,
  attentionKernelsAvailable,
  attentionScoresKernel,
  type AttentionSizes,
} from './attention-kernels';

// Two implementations with the same results up to float32 rounding: the WebAssembly kernels where tensors live in
// JavaScript-visible memory (see attention-kernels.ts), tfjs ops elsewhere (e.g. WebGL, where reading a tensor would
// stall the GPU). `implementation` lets tests run both on the same backend.

/** Which implementation runs the attention products. */
export type AttentionImplementation = 'auto' | 'kernels' | 'tfjs';

export type { AttentionSizes } from './attention-kernels';

function useKernels(implementation: AttentionImplementation): boolean {
  return implementation === 'kernels' || (implementation === 'auto' && attentionKernelsAvailable());
}

// [B·L, 3D] projection rows → part (0 = q, 1 = k, 2 = v) as [B·H, L, dh]: head h takes features [h·dh, (h+1)·dh).
function splitHeads(projections: tf.Tensor2D, sizes: AttentionSizes, part: number): tf.Tensor3D {
  const { batchSize, sequenceLength, numHeads, headDim } = sizes;
  const hiddenDim = numHeads * headDim;
  const rows = tf.slice(projections, [0, part * hiddenDim], [batchSize * sequenceLength, hiddenDim]);
  return tf.reshape(tf.transpose(tf.reshape(rows, [batchSize, sequenceLength, numHeads, headDim]), [0, 2, 1, 3]), [
    batchSize * numHeads,
    sequenceLength,
    headDim,
  ]);
}

// [B·H, L, dh] → [B·L, D] rows, heads concatenated.
function mergeHeads(heads: tf.Tensor3D, sizes: AttentionSizes): tf.Tensor2D {
  const { batchSize, sequenceLength, numHeads, headDim } = sizes;
  return tf.reshape(tf.transpose(tf.reshape(heads, [batchSize, numHeads, sequenceLength, headDim]), [0, 2, 1, 3]), [
    batchSize * sequenceLength,
    numHeads * headDim,
  ]);
}

/**
 * softmax(scale·q·kᵀ) per (sample, head) and the context rows `[B·L, D]` = heads of probabilities·v concatenated,
 * from projection rows `[B·L, 3D]` = [q | k | v]. Returns the probabilities `[B·H, L, L]` too (the backward needs
 * them). Not differentiable by tfjs: {@link attentionBackward} is its gradient.
 */
export function attentionForward(
  projections: tf.Tensor2D,
  sizes: AttentionSizes,
  scale: number,
  implementation: AttentionImplementation = 'auto',
): { probabilities: tf.Tensor3D; context: tf.Tensor2D } {
  return tf.tidy(() => {
    if (useKernels(implementation)) {
      const probabilities = tf.softmax(attentionScoresKernel(projections, sizes, scale)) as tf.Tensor3D;
      return { probabilities, context: attentionContextKernel(probabilities, projections, sizes) };
    }
    // torch scales the query before the product.
    const query = tf.mul(splitHeads(projections, sizes, 0), scale) as tf.Tensor3D;
    const probabilities = tf.softmax(tf.matMul(query, splitHeads(projections, sizes, 1), false, true)) as tf.Tensor3D;
    return { probabilities, context: mergeHeads(tf.matMul(probabilities, splitHeads(projections, sizes, 2)), sizes) };
  });
}

/**
 * The gradient `[B·L, 3D]` = [dq | dk | dv] of the projection rows of {@link attentionForward}, given the gradient of
 * its context rows `[B·L, D]` and the saved probabilities and projections.
 */
export function attentionBackward(
  contextGradient: tf.Tensor2D,
  probabilities: tf.Tensor3D,
  projections: tf.Tensor2D,
  sizes: AttentionSizes,
  scale: number,
  implementation: AttentionImplementation = 'auto',
): tf.Tensor2D {
  return tf.tidy(() => {
    if (useKernels(implementation)) return attentionBackwardKernel(contextGradient, probabilities, projections, sizes, scale);
    const query = splitHeads(projections, sizes, 0);
    const key = splitHeads(projections, sizes, 1);
    const value = splitHeads(projections, sizes, 2);
    const headsGradient = tf.reshape(
      tf.transpose(tf.reshape(contextGradient, [sizes.batchSize, sizes.sequenceLength, sizes.numHeads, sizes.headDim]), [0, 2, 1, 3]),
      [sizes.batchSize * sizes.numHeads, sizes.sequenceLength, sizes.headDim],
    ) as tf.Tensor3D;
    const probabilitiesGradient = tf.matMul(headsGradient, value, false, true);
    const valueGradient = tf.matMul(probabilities, headsGradient, true, false) as tf.Tensor3D;
    // Softmax backward: P ⊙ (dP − Σ dP ⊙ P).
    const scoresGradient = tf.mul(
      probabilities,
      tf.sub(probabilitiesGradient, tf.sum(tf.mul(probabilitiesGradient, probabilities), 2, true)),
    ) as tf.Tensor3D;
    const queryGradient = tf.mul(tf.matMul(scoresGradient, key), scale) as tf.Tensor3D;
    const keyGradient = tf.mul(tf.matMul(scoresGradient, query, true, false), scale) as tf.Tensor3D;
    return tf.concat([mergeHeads(queryGradient, sizes), mergeHeads(keyGradient, sizes), mergeHeads(valueGradient, sizes)], 1) as tf.Tensor2D;
  });
}
