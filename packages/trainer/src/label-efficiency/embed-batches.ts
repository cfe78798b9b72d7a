// @file Embeds a labelled data set batch by batch into plain arrays (features for k-NN and linear probes).
import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError, ShapeError, assertInteger, assertKnownKeys } from '@msn/errors';

/** A batch of images with labels, e.g. from `@msn/data`'s `DataLoader` with a `PlainTransform`. */
export interface LabelledBatch {
  /** One tensor per view `[B, C, S, S]`; evaluation uses one of them (`view`, default 0). */
  views: readonly tf.Tensor4D[];
  /** Class indices `[B]` (int32). */
  labels?: tf.Tensor1D;
}

/** Features of a whole data set, off the backend. */
export interface EmbeddedSet {
  /** Row-major `[rows, dims]` features (what `fewShotEvaluation` accepts as `Features`). */
  features: { data: Float32Array; shape: [number, number] };
  /** Class index of each row. */
  labels: Int32Array;
}

/** Options of {@link embedBatches}. */
export interface EmbedBatchesOptions {
  /** Which view of each batch to embed. @default 0 */
  view?: number;
  /** Dispose every tensor of each batch after use (the batches are then owned by this function). @default true */
  disposeBatches?: boolean;
}

/** Features straight from the pixels: each image flattened to one row (the raw-pixel reference of label-efficiency tables). */
export function pixelFeatures(images: tf.Tensor4D): tf.Tensor2D {
  return tf.reshape(images, [images.shape[0], -1]);
}

/**
 * Runs `embed` over every batch and collects the features and labels in order (in inference mode if `embed` says
 * so, e.g. `(images) => model.embed(images)` for MSN's target-backbone class tokens, or {@link pixelFeatures}).
 * One batch is on the backend at a time; the result is plain arrays.
 *
 * @example
 * const loader = new DataLoader(testSet, { batchSize: 256, transform: new PlainTransform({ size: 28, normalize }) });
 * const test = await embedBatches(loader, (images) => model.embed(images));
 * @throws {InvalidArgumentError} for a batch without labels or without the view, or an `embed` that does not return a tensor.
 * @throws {ShapeError} when `embed` returns something other than `[B, dims]` with one fixed `dims`.
 */
export async function embedBatches(
  batches: AsyncIterable<LabelledBatch> | Iterable<LabelledBatch>,
  embed: (images: tf.Tensor4D) => tf.Tensor2D,
  options: EmbedBatchesOptions = {},
): Promise<EmbeddedSet> {
  const caller = 'embedBatches';
  assertKnownKeys(caller, options, ['view', 'disposeBatches']);
  const { view = 0, disposeBatches = true } = options;
  assertInteger(caller, 'view', view, 0);
  if (typeof embed !== 'function')
    throw new InvalidArgumentError({ caller, argument: 'embed', value: embed, expected: 'a function (images: Tensor4D) => Tensor2D' });
  const chunks: Float32Array[] = [];
  const labelChunks: Int32Array[] = [];
  let dims: number | undefined;
  let rows = 0;
  for await (const batch of batches) {
    try {
      const images = batch?.views?.[view];
      if (!(images instanceof tf.Tensor) || images.rank !== 4) {
        throw new InvalidArgumentError({
          caller,
          argument: `batch.views[${view}]`,
          value: images === undefined ? 'missing' : String(images),
          expected: 'a Tensor4D [B, C, S, S]',
        });
      }
      if (!(batch.labels instanceof tf.Tensor) || batch.labels.size !== images.shape[0]) {
        throw new InvalidArgumentError({
          caller,
          argument: 'batch.labels',
          value: batch.labels === undefined ? 'missing' : `[${batch.labels.shape}]`,
          expected: `${images.shape[0]} class labels (a labelled data set)`,
        });
      }
      const features = tf.tidy(() => embed(images));
      try {
        if (!(features instanceof tf.Tensor) || features.rank !== 2 || features.shape[0] !== images.shape[0]) {
          throw new ShapeError(
            `${caller}: embed returned ${features instanceof tf.Tensor ? `shape [${features.shape}]` : String(features)}; expected [${images.shape[0]}, dims]`,
          );
        }
        if (dims !== undefined && features.shape[1] !== dims)
          throw new ShapeError(`${caller}: embed returned ${features.shape[1]} dims after ${dims} for earlier batches`);
        dims = features.shape[1];
        chunks.push(Float32Array.from(await features.data()));
        labelChunks.push(Int32Array.from(await batch.labels.data()));
        rows += features.shape[0];
      } finally {
        tf.dispose(features);
      }
    } finally {
      if (disposeBatches) tf.dispose([...(batch?.views ?? []), ...(batch?.labels ? [batch.labels] : [])]);
    }
  }
  const data = new Float32Array(rows * (dims ?? 0));
  const labels = new Int32Array(rows);
  let offset = 0;
  chunks.forEach((chunk, index) => {
    data.set(chunk, offset * (dims ?? 0));
    labels.set(labelChunks[index]!, offset);
    offset += labelChunks[index]!.length;
  });
  return { features: { data, shape: [rows, dims ?? 0] }, labels };
}
