// The contract between transforms and loaders: a fixed list of square views written into batch buffers.
import { InvalidArgumentError } from '@msn/errors';
import type * as tf from '@tensorflow/tfjs-core';
import type { RgbImage } from './image';

/** What the randomness of one sample's views is a pure function of. */
export interface AugmentationKey {
  /** Run seed (non-negative safe integer). */
  seed: number;
  /** Epoch (non-negative integer). */
  epoch: number;
  /** Dataset index of the sample (not its position in the batch). */
  index: number;
}

/** ImageNet statistics (torchvision / lightly `IMAGENET_NORMALIZE`). */
export const IMAGENET_NORMALIZE: { readonly mean: readonly number[]; readonly std: readonly number[] } = {
  mean: [0.485, 0.456, 0.406],
  std: [0.229, 0.224, 0.225],
};

/** Per-channel normalisation statistics. */
export interface NormalizeStats {
  mean: readonly number[];
  std: readonly number[];
}

/**
 * Serialisable description of a built-in transform, so worker threads can rebuild it. Custom transforms have
 * none and run on the loader's thread.
 */
export type TransformSpec = { kind: 'msn'; options: Record<string, unknown> } | { kind: 'plain'; options: Record<string, unknown> };

/**
 * Turns one image into `viewSizes.length` float views (3 × size × size each, CHW). Loaders call `applyInto`
 * with one NCHW buffer per view and the sample's slot in the batch.
 */
export interface ViewTransform<Views = tf.Tensor4D[]> {
  /** Side of every view, in output order. */
  readonly viewSizes: readonly number[];
  /** How a loader's batch presents the view tensors (in `viewSizes` order); without it, as that array. */
  groupBatch?(views: tf.Tensor4D[]): Views;
  /**
   * Writes view v of `image` into `outputs[v]` at element offset `slot · 3 · size_v²`. Must be a pure function
   * of (image, key) so that resumed and distributed runs see identical views.
   */
  applyInto(image: RgbImage, key: AugmentationKey, outputs: readonly Float32Array[], slot: number): void;
  /** How worker threads rebuild this transform; absent for custom transforms. */
  toSpec?(): TransformSpec;
}

/** Throws unless `key` holds non-negative safe integers. */
export function assertKey(caller: string, key: AugmentationKey): void {
  for (const field of ['seed', 'epoch', 'index'] as const) {
    const value = key?.[field];
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
      throw new InvalidArgumentError({ caller, argument: `key.${field}`, value, expected: 'a non-negative safe integer' });
    }
  }
}
