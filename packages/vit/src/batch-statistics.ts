// The batch-statistics step of BatchNorm, replaceable so statistics can span several processes (SyncBatchNorm).
import * as tf from '@tensorflow/tfjs-core';
import { ShapeError } from '@msn/errors';

/** Per-feature statistics of a batch: mean, biased variance (÷ count) and the number of samples behind them. */
export interface BatchStatistics {
  /** `[F]` mean over the (global) batch. */
  mean: tf.Tensor1D;
  /** `[F]` biased variance over the (global) batch: mean of (x − mean)². */
  variance: tf.Tensor1D;
  /** Number of samples the statistics cover (the global batch size); > 1 in training. */
  count: number;
}

/**
 * Computes batch statistics of features `[B, F]`. Called inside the head's `tf.tidy` and gradient tape: return new
 * tensors (they are disposed by the caller's scope) and never dispose the input. To train, the statistics must be
 * differentiable with respect to the input, as in `localBatchStatistics`.
 */
export type BatchStatisticsFunction = (features: tf.Tensor2D) => BatchStatistics;

/**
 * Sums a tensor over every process and returns the total (same shape), synchronously, differentiably (its gradient
 * all-reduces the incoming gradient). Must not dispose its argument. Same shape as `@msn/sinkhorn`'s `AllReduceSum`.
 */
export type AllReduceSum = (tensor: tf.Tensor) => tf.Tensor;

/**
 * Statistics of this process's batch only (torch's `BatchNorm1d`).
 * @example new MSNProjectionHead({ inputDim: 384, batchStatistics: localBatchStatistics });
 */
export const localBatchStatistics: BatchStatisticsFunction = (features) =>
  tf.tidy(() => {
    const mean = tf.mean(features, 0) as tf.Tensor1D;
    const variance = tf.mean(tf.square(tf.sub(features, mean)), 0) as tf.Tensor1D;
    return { mean, variance, count: features.shape[0] };
  });

/**
 * Statistics over the batches of all processes (synchronised BatchNorm), from two all-reduced sums: first the feature
 * sums and the sample count, then the squared deviations from the global mean (two passes keep the variance as
 * accurate as the single-process one). Every process must call it the same number of times in the same order. The
 * result is differentiable when `allReduce` is.
 *
 * @example
 * const head = new MSNProjectionHead({ inputDim: 384, batchStatistics: synchronizedBatchStatistics(allReduce) });
 */
export function synchronizedBatchStatistics(allReduce: AllReduceSum): BatchStatisticsFunction {
  return (features) =>
    tf.tidy(() => {
      const numFeatures = features.shape[1];
      const totals = allReduce(tf.concat([tf.sum(features, 0), tf.tensor1d([features.shape[0]])]));
      if (totals.rank !== 1 || totals.shape[0] !== numFeatures + 1) {
        throw new ShapeError(`synchronizedBatchStatistics: allReduce returned shape [${totals.shape}] for an input of shape [${numFeatures + 1}]`);
      }
      const count = tf.slice(totals, [numFeatures], [1]).dataSync()[0]!;
      const mean = tf.div(tf.slice(totals, [0], [numFeatures]), count) as tf.Tensor1D;
      const squaredDeviations = allReduce(tf.sum(tf.square(tf.sub(features, mean)), 0));
      return { mean, variance: tf.div(squaredDeviations, count) as tf.Tensor1D, count };
    });
}
