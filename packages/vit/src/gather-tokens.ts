// out[b, j] = x[b, idxKeep[b, j]] with a scatter gradient that every backend (wasm included) implements.
import * as tf from '@tensorflow/tfjs-core';

// Why not tf.gather(x, idxKeep, 1, 1): its gradient needs UnsortedSegmentSum, which wasm lacks, and in
// tfjs-backend-wasm 4.22 a batched gather (batchDims = 1) returns wrong rows for every batch element after the
// first. Flattening the batch into the row index avoids both.

/**
 * Gathers tokens `[B, L, D]` → `[B, K, D]` by per-sample indices `[B, K]` (int32, each in [0, L)).
 * The gradient scatters (and sums, for repeated indices) back into `[B, L, D]`.
 */
export function gatherTokens(tokens: tf.Tensor3D, indices: tf.Tensor2D): tf.Tensor3D {
  const [batchSize, sequenceLength, hiddenDim] = tokens.shape;
  const kept = indices.shape[1];
  // Row b·L + idxKeep[b, j] of the flattened [B·L, D] tokens (indices are small: computed on the host).
  const values = indices.dataSync();
  const flat = new Int32Array(batchSize * kept);
  for (let index = 0; index < flat.length; index++) {
    flat[index] = Math.floor(index / kept) * sequenceLength + values[index]!;
  }
  const flatIndices = tf.tensor1d(flat, 'int32');
  const run = tf.customGrad((...args: unknown[]) => {
    const save = args[1] as tf.GradSaveFunc;
    const x = args[0] as tf.Tensor3D;
    save([flatIndices]);
    const rows = tf.reshape(x, [batchSize * sequenceLength, hiddenDim]);
    return {
      value: tf.reshape(tf.gather(rows, flatIndices, 0), [batchSize, kept, hiddenDim]) as tf.Tensor3D,
      // Temporaries of a custom gradient are otherwise kept until the whole backward pass ends.
      gradFunc: (dy: tf.Tensor3D, saved: tf.Tensor[]) =>
        tf.tidy(() => {
          const scatterIndices = tf.reshape(saved[0]!, [batchSize * kept, 1]);
          const updates = tf.reshape(dy, [batchSize * kept, hiddenDim]);
          return [tf.reshape(tf.scatterND(scatterIndices, updates, [batchSize * sequenceLength, hiddenDim]), tokens.shape)];
        }),
    };
  });
  const gathered = run(tokens) as tf.Tensor3D;
  flatIndices.dispose();
  return gathered;
}
