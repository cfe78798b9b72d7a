// Images NCHW → flattened patches in torch's conv weight order, using only rank-4 transposes.
import * as tf from '@tensorflow/tfjs-core';

// Why two rank-4 transposes instead of one rank-6: wasm's transpose has fast paths up to rank 4 only; a
// rank-5/6 transpose of a 224-pixel batch costs ~100 ms there.

/**
 * Splits images `[B, C, H, W]` into non-overlapping P×P patches, row-major over the patch grid, each flattened
 * in (channel, dy, dx) order — the layout of `conv_proj.weight [D, C, P, P]` reshaped to `[D, C·P·P]`.
 * Returns `[B · (H/P) · (W/P), C·P·P]`.
 */
export function patchify(images: tf.Tensor4D, patchSize: number): tf.Tensor2D {
  return tf.tidy(() => {
    const [batchSize, channels, height, width] = images.shape;
    const rows = height / patchSize;
    const columns = width / patchSize;
    // [B·C·rows, P(dy), columns, P(dx)] → [B·C·rows, columns, dy, dx]
    const withinRows = tf.transpose(tf.reshape(images, [batchSize * channels * rows, patchSize, columns, patchSize]), [0, 2, 1, 3]);
    // [B, C, rows·columns, P·P] → [B, rows·columns, C, P·P]
    const patches = tf.transpose(tf.reshape(withinRows, [batchSize, channels, rows * columns, patchSize * patchSize]), [0, 2, 1, 3]);
    return tf.reshape(patches, [batchSize * rows * columns, channels * patchSize * patchSize]) as tf.Tensor2D;
  });
}
