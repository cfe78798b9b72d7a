// Mean and variance over every rank's batch: the statistics a synchronised BatchNorm normalises with.
import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError } from '@msn/errors';
import { differentiableAllReduce } from './differentiable-all-reduce';
import type { ProcessGroup } from './process-group';

/** Statistics of the combined batch of all ranks. */
export interface GlobalMoments {
  /** Mean over the reduced axes of every rank's `x`. */
  mean: tf.Tensor;
  /** Biased variance (divided by `count`), as batch normalisation uses in training. */
  variance: tf.Tensor;
  /** Number of elements each statistic summarises over all ranks (for an unbiased running variance). */
  count: number;
}

/**
 * `tf.moments` over the union of every rank's `x`: mean = Σ x / N, variance = Σ (x − mean)² / N with sums over
 * `axes` and all ranks (N = elements per statistic over all ranks; ranks may hold different batch sizes).
 * Two passes, like single-process `tf.moments`, so no catastrophic cancellation. Differentiable through
 * {@link differentiableAllReduce}: gradients are those of the combined batch (torch's SyncBatchNorm), so a
 * synchronised BatchNorm built on this trains exactly like BatchNorm on the large batch. Two all-reduces
 * forward (the sums with the count, then the squared deviations) and two backward.
 *
 * @example
 * const { mean, variance } = allReduceMoments(group, activations, [0]); // per-feature, over all ranks
 * const normalised = tf.div(tf.sub(activations, mean), tf.sqrt(tf.add(variance, 1e-5)));
 * @param keepDims keep reduced axes as size 1. @default false
 * @throws {InvalidArgumentError} when `x` is not float32 or an axis is out of range.
 */
export function allReduceMoments(group: ProcessGroup, x: tf.Tensor, axes: number | number[], keepDims = false): GlobalMoments {
  const caller = 'allReduceMoments';
  if (x.dtype !== 'float32') {
    throw new InvalidArgumentError({ caller, argument: 'x', value: `a ${x.dtype} tensor`, expected: 'a float32 tensor' });
  }
  const axisList = (Array.isArray(axes) ? axes : [axes]).map((axis) => (axis < 0 ? axis + x.rank : axis));
  for (const axis of axisList) {
    if (!Number.isInteger(axis) || axis < 0 || axis >= x.rank) {
      throw new InvalidArgumentError({ caller, argument: 'axes', value: axes, expected: `axes of a rank-${x.rank} tensor` });
    }
  }
  const localCount = axisList.reduce((product, axis) => product * x.shape[axis]!, 1);
  // The count travels with the sums: one collective; it has no gradient path (a constant).
  let count = 0;
  const moments = tf.tidy(() => {
    const sums = tf.sum(x, axisList, true);
    const packed = tf.concat([tf.reshape(sums, [-1]), tf.tensor1d([localCount], 'float32')]);
    const reduced = differentiableAllReduce(group, packed);
    const size = sums.size;
    count = tf.slice(reduced, [size], [1]).dataSync()[0]!;
    const mean = tf.div(tf.reshape(tf.slice(reduced, [0], [size]), sums.shape), count);
    const squares = tf.sum(tf.square(tf.sub(x, mean)), axisList, true);
    const variance = tf.div(differentiableAllReduce(group, squares), count);
    return keepDims ? { mean, variance } : { mean: tf.squeeze(mean, axisList), variance: tf.squeeze(variance, axisList) };
  });
  return { ...moments, count };
}
