// out[b, j] = x[b, idxKeep[b, j]] with a scatter gradient that every backend (wasm included) implements.
import * as tf from '@tensorflow/tfjs-core';

// Why not tf.gather(x, idxKeep, 1, 1): its gradient needs UnsortedSegmentSum, which wasm lacks, and in
// tfjs-backend-wasm 4.22 a batched gather (batchDims = 1) returns wrong rows for every batch element after the
// first. Flattening the batch into the row index avoids both. Where tensors live in JavaScript-visible memory (wasm,
// cpu) the rows are copied on the host: tfjs-backend-wasm's GatherV2 takes ~13 ms for the 1760 rows of a masked
// batch of 32, a row-by-row copy well under 1 ms.

const HOST_MEMORY_BACKENDS = new Set(['wasm', 'cpu']);

// out[r] = rows of x (viewed as [·, D]) at `rows[r]`, copied row by row on the host.
function gatherRowsOnHost(x: tf.Tensor3D, rows: Int32Array, shape: [number, number, number]): tf.Tensor3D {
  const width = shape[2];
  const values = x.dataSync() as Float32Array;
  const out = new Float32Array(rows.length * width);
  for (let row = 0; row < rows.length; row++) out.set(values.subarray(rows[row]! * width, (rows[row]! + 1) * width), row * width);
  return tf.tensor3d(out, shape);
}

function flatRowsOnHost(values: ArrayLike<number>, kept: number, sequenceLength: number): Int32Array {
  const flat = new Int32Array(values.length);
  for (let index = 0; index < flat.length; index++) flat[index] = Math.floor(index / kept) * sequenceLength + values[index]!;
  return flat;
}

function flatRowsOnDevice(indices: tf.Tensor2D, sequenceLength: number): tf.Tensor1D {
  return tf.tidy(() => {
    const rowStarts = tf.mul(tf.range(0, indices.shape[0], 1, 'int32'), tf.scalar(sequenceLength, 'int32'));
    return tf.reshape(tf.add(indices, tf.reshape(rowStarts, [-1, 1])), [-1]) as tf.Tensor1D;
  });
}

/**
 * Gathers tokens `[B, L, D]` → `[B, K, D]` by per-sample indices `[B, K]` (int32, each in [0, L)).
 * The gradient scatters (and sums, for repeated indices) back into `[B, L, D]`. `implementation` lets tests run both
 * the host copy and tf.gather on the same backend.
 */
export function gatherTokens(tokens: tf.Tensor3D, indices: tf.Tensor2D, implementation: 'auto' | 'host' | 'tfjs' = 'auto'): tf.Tensor3D {
  const [batchSize, sequenceLength, hiddenDim] = tokens.shape;
  const kept = indices.shape[1];
  const onHost = implementation === 'host' || (implementation === 'auto' && HOST_MEMORY_BACKENDS.has(tf.getBackend()));
  // Row b·L + idxKeep[b, j] of the flattened [B·L, D] tokens: on the host where reading is a copy, else on the device.
  const flat = onHost ? flatRowsOnHost(indices.dataSync(), kept, sequenceLength) : undefined;
  const flatIndices = flat ? tf.tensor1d(flat, 'int32') : flatRowsOnDevice(indices, sequenceLength);
  const shape: [number, number, number] = [batchSize, kept, hiddenDim];
  const run = tf.customGrad((...args: unknown[]) => {
    const save = args[1] as tf.GradSaveFunc;
    const x = args[0] as tf.Tensor3D;
    save([flatIndices]);
    return {
      value: onHost
        ? gatherRowsOnHost(x, flat!, shape)
        : (tf.reshape(tf.gather(tf.reshape(x, [batchSize * sequenceLength, hiddenDim]), flatIndices, 0), shape) as tf.Tensor3D),
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
