// Token masks drawn for the combined batch of all ranks and split, so each sample keeps the tokens it would keep in
// one process training on the combined batch.
import * as tf from '@tensorflow/tfjs-core';
import { createRandom } from '@msn/random';
import { InvalidArgumentError, ShapeError, assertInteger } from '@msn/errors';
import type { MSNModel } from '../msn/msn-model';
import type { MSNViews } from '../msn/msn-training-step';

/** Where this rank's rows sit in the combined batch, and its views. */
export interface ShardMasksOptions {
  /** This rank's anchor views (one tensor, view-major, or one per view), as passed to `msnTrainingStep`. */
  anchors: MSNViews;
  /** This rank's focal views, if any. */
  focal?: MSNViews;
  /** Images per rank (the targets' rows). */
  batchSize: number;
  rank: number;
  worldSize: number;
}

/** The kept-token indices of this rank's anchor and focal rows (undefined when nothing is masked). */
export interface ShardMasks {
  idxKeepAnchors: tf.Tensor2D | undefined;
  idxKeepFocal: tf.Tensor2D | undefined;
}

function viewsOf(views: MSNViews | undefined): { rows: number; size: number } | undefined {
  if (views === undefined) return undefined;
  const list = views instanceof tf.Tensor ? [views] : [...views];
  if (list.length === 0) return undefined;
  return { rows: list.reduce((total, view) => total + view.shape[0], 0), size: list[0]!.shape[2] };
}

/**
 * Draws the masks of the combined batch of every rank (worldSize · batchSize images; anchor rows, then focal rows,
 * each view-major, from one stream seeded with `seed`: what `msnTrainingStep` draws in one process with
 * `maskSeed: seed`) and returns this rank's rows. Rank r is taken to hold the combined batch's positions r, r + n,
 * r + 2n, … (n = worldSize), the interleaved assignment of a `DistributedSampler` when every rank takes its next
 * batchSize indices each step. Pass the same seed on every rank. The caller owns the returned tensors.
 *
 * @example
 * const { idxKeepAnchors, idxKeepFocal } = shardMasks(model, maskSeed, { anchors, focal, batchSize, rank, worldSize });
 * await msnTrainingStep(model, { targets, anchors, focal, idxKeepAnchors, idxKeepFocal }, { optimizer, loss, … });
 * @throws {InvalidArgumentError} for a rank outside the world or a non-integer size.
 * @throws {ShapeError} when the views' rows are not multiples of batchSize.
 */
export function shardMasks(model: MSNModel, seed: number, options: ShardMasksOptions): ShardMasks {
  const caller = 'shardMasks';
  const { batchSize, rank, worldSize } = options;
  assertInteger(caller, 'seed', seed, Number.MIN_SAFE_INTEGER);
  assertInteger(caller, 'batchSize', batchSize, 1);
  assertInteger(caller, 'worldSize', worldSize, 1);
  assertInteger(caller, 'rank', rank, 0);
  if (rank >= worldSize) throw new InvalidArgumentError({ caller, argument: 'rank', value: rank, expected: `a rank below the world size ${worldSize}` });
  const random = createRandom(seed);
  const global = batchSize * worldSize;
  const draw = (argument: string, views: MSNViews | undefined): tf.Tensor2D | undefined => {
    const shape = viewsOf(views);
    if (shape === undefined) return undefined;
    if (shape.rows % batchSize !== 0) throw new ShapeError(`${caller}: '${argument}' has ${shape.rows} rows, not a multiple of batchSize ${batchSize}`);
    const numViews = shape.rows / batchSize;
    const all = model.drawMask(numViews * global, shape.size, random);
    if (all === undefined) return undefined;
    const rows = Array.from({ length: numViews * batchSize }, (_, index) => {
      const view = Math.floor(index / batchSize);
      return view * global + rank + worldSize * (index % batchSize);
    });
    const mine = tf.tidy(() => tf.gather(all, tf.tensor1d(rows, 'int32')) as tf.Tensor2D);
    all.dispose();
    return mine;
  };
  const idxKeepAnchors = draw('anchors', options.anchors);
  const idxKeepFocal = draw('focal', options.focal);
  return { idxKeepAnchors, idxKeepFocal };
}
