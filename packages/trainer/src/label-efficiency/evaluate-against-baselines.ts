// @file The main job's table: the trained encoder next to the same encoder untrained and the raw pixels.
import { assertKnownKeys } from '@msn/errors';
import type * as tf from '@tensorflow/tfjs-core';
import type { ImageDataset, NormalizeStats } from '@msn/data';
import { MSNModel } from '../msn/msn-model';
import { compareEncoders } from './compare-encoders';
import { pixelFeatures } from './embed-batches';
import type { LabelEfficiencyRow } from './label-efficiency';

/** Options of {@link evaluateAgainstBaselines}. */
export interface EvaluateAgainstBaselinesOptions {
  /** The trained model; its target backbone's class token is evaluated. */
  model: MSNModel;
  /** The seed the model was initialised with: the random-init row rebuilds exactly the weights training started from. */
  seed: number;
  /** Labelled splits (`openDataset(…).evaluation`). */
  evaluation: { train: ImageDataset; test: ImageDataset };
  /** Input side (the training image size). */
  imageSize: number;
  normalize: NormalizeStats | null;
  /** At most this many images per split. @default all */
  subset?: number;
  /** @default 0 */
  workers?: number;
  /** Progress messages, one per evaluated encoder. */
  onEvaluate?: (name: string) => void;
  /** Also score every row on these classes alone (`compareEncoders`' `classGroups`). */
  classGroups?: readonly { name: string; classes: readonly number[] }[];
}

/**
 * k-NN and few-shot accuracy (the MSN label-efficiency protocol, `compareEncoders`) of three encoders on the same
 * images: the trained MSN target encoder, the same architecture at its random initialisation (same config and seed),
 * and the raw pixels. The difference between the first two rows is what pre-training bought.
 *
 * @example
 * const rows = await evaluateAgainstBaselines({ model, seed: 0, evaluation: data.evaluation, imageSize: 32, normalize: data.normalize });
 * console.log(formatLabelEfficiencyTable(rows));
 */
export async function evaluateAgainstBaselines(options: EvaluateAgainstBaselinesOptions): Promise<LabelEfficiencyRow[]> {
  assertKnownKeys('evaluateAgainstBaselines', options, [
    'model',
    'seed',
    'evaluation',
    'imageSize',
    'normalize',
    'subset',
    'workers',
    'onEvaluate',
    'classGroups',
  ]);
  const { model, evaluation } = options;
  const untrained = new MSNModel({ config: model.config, seed: options.seed });
  try {
    return await compareEncoders({
      train: evaluation.train,
      test: evaluation.test,
      imageSize: options.imageSize,
      normalize: options.normalize,
      ...(options.subset === undefined ? {} : { subset: options.subset }),
      ...(options.workers === undefined ? {} : { workers: options.workers }),
      ...(options.onEvaluate === undefined ? {} : { onEvaluate: options.onEvaluate }),
      ...(options.classGroups === undefined ? {} : { classGroups: options.classGroups }),
      encoders: [
        { name: 'MSN target encoder (trained)', embed: (images: tf.Tensor4D) => model.embed(images) },
        { name: 'same encoder, random init', embed: (images: tf.Tensor4D) => untrained.embed(images) },
        { name: 'raw pixels', embed: pixelFeatures },
      ],
    });
  } finally {
    untrained.dispose();
  }
}
