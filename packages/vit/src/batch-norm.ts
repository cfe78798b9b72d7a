// BatchNorm1d in training mode (batch statistics, running-statistics update) and evaluation mode.
import * as tf from '@tensorflow/tfjs-core';
import type { BatchStatisticsFunction } from './batch-statistics';
import { ShapeError } from '@msn/errors';

export interface BatchNormVariables {
  weight: tf.Variable;
  bias: tf.Variable;
  /** Non-trainable. */
  runningMean: tf.Variable;
  /** Non-trainable. */
  runningVar: tf.Variable;
}

export interface BatchNormSettings {
  training: boolean;
  epsilon: number;
  momentum: number;
  batchStatistics: BatchStatisticsFunction;
  /** Names the caller in errors. */
  caller: string;
}

/**
 * torch's `BatchNorm1d` on `[B, F]`. Training: normalise with the batch mean and biased variance, then
 * running ← (1 − momentum)·running + momentum·statistic, with the unbiased variance (× n/(n − 1)) for `runningVar`.
 * Evaluation: normalise with the running statistics. Either way y = (x − μ)/√(σ² + eps)·γ + β.
 */
export function batchNorm1d(features: tf.Tensor2D, variables: BatchNormVariables, settings: BatchNormSettings): tf.Tensor2D {
  return tf.tidy(() => {
    const { training, epsilon, momentum, batchStatistics, caller } = settings;
    let mean: tf.Tensor1D;
    let variance: tf.Tensor1D;
    if (training) {
      const statistics = batchStatistics(features);
      const { count } = statistics;
      ({ mean, variance } = statistics);
      if (!(count > 1)) {
        throw new ShapeError(`${caller}: training-mode BatchNorm needs more than 1 sample per feature, got ${count} (features [${features.shape}])`);
      }
      // The running statistics are buffers: updated outside the gradient (assign is not recorded on the tape).
      variables.runningMean.assign(tf.add(tf.mul(variables.runningMean, 1 - momentum), tf.mul(mean, momentum)));
      variables.runningVar.assign(tf.add(tf.mul(variables.runningVar, 1 - momentum), tf.mul(variance, (momentum * count) / (count - 1))));
    } else {
      mean = variables.runningMean as tf.Tensor as tf.Tensor1D;
      variance = variables.runningVar as tf.Tensor as tf.Tensor1D;
    }
    const scale = tf.mul(tf.rsqrt(tf.add(variance, epsilon)), variables.weight);
    return tf.add(tf.mul(tf.sub(features, mean), scale), variables.bias) as tf.Tensor2D;
  });
}
