// torch.nn.MultiheadAttention (batch of token rows, no mask, no dropout) on a flattened [B·L, D] layout.
import * as tf from '@tensorflow/tfjs-core';
import { linear } from './linear';

/** The weights of one attention layer, in torch's `in_proj`/`out_proj` layout. */
export interface AttentionWeights {
  /** `[3D, D]`: rows [0, D) query, [D, 2D) key, [2D, 3D) value. */
  inProjWeight: tf.Tensor2D;
  inProjBias: tf.Tensor1D;
  outProjWeight: tf.Tensor2D;
  outProjBias: tf.Tensor1D;
}

// [B·L, D] → [B·H, L, dh]: head h takes features [h·dh, (h+1)·dh).
function splitHeads(rows: tf.Tensor2D, batchSize: number, numHeads: number): tf.Tensor3D {
  const [count, hiddenDim] = rows.shape;
  const sequenceLength = count / batchSize;
  const headDim = hiddenDim / numHeads;
  const heads = tf.transpose(tf.reshape(rows, [batchSize, sequenceLength, numHeads, headDim]), [0, 2, 1, 3]);
  return tf.reshape(heads, [batchSize * numHeads, sequenceLength, headDim]);
}

/**
 * Multi-head self-attention of `[B·L, D]` rows (B samples of L tokens): softmax(q·kᵀ/√dh)·v per head, heads
 * concatenated, then `out_proj`. Query, key and value use row slices of `in_proj_weight` (slicing the small weight
 * is cheaper on wasm than slicing the large projected activations).
 */
export function multiHeadAttention(
  rows: tf.Tensor2D,
  weights: AttentionWeights,
  batchSize: number,
  numHeads: number,
): tf.Tensor2D {
  return tf.tidy(() => {
    const [count, hiddenDim] = rows.shape;
    const sequenceLength = count / batchSize;
    const headDim = hiddenDim / numHeads;
    const project = (part: number): tf.Tensor2D =>
      linear(
        rows,
        tf.slice(weights.inProjWeight, [part * hiddenDim, 0], [hiddenDim, hiddenDim]),
        tf.slice(weights.inProjBias, [part * hiddenDim], [hiddenDim]),
      );
    // torch scales the query before the product: (q/√dh)·kᵀ.
    const query = splitHeads(tf.mul(project(0), 1 / Math.sqrt(headDim)), batchSize, numHeads);
    const key = splitHeads(project(1), batchSize, numHeads);
    const value = splitHeads(project(2), batchSize, numHeads);
    const attention = tf.softmax(tf.matMul(query, key, false, true));
    const context = tf.reshape(tf.matMul(attention, value), [batchSize, numHeads, sequenceLength, headDim]);
    const merged = tf.reshape(tf.transpose(context, [0, 2, 1, 3]), [count, hiddenDim]) as tf.Tensor2D;
    return linear(merged, weights.outProjWeight, weights.outProjBias);
  });
}
