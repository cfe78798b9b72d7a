import * as tf from '@tensorflow/tfjs-core';
import { assertPositiveFinite } from '@msn/errors';
import { assertMatrix } from './validate';

/**
 * Sharpens probabilities `[B, K]`: p^(1/T) divided by its row sum. T < 1 makes rows peakier.
 *
 * @example
 * const sharp = sharpen(targetProbs, 0.25);
 * @throws {ShapeError} when `probabilities` is not 2-D.
 * @throws {InvalidArgumentError} when `temperature` is not a finite number > 0.
 */
export function sharpen(probabilities: tf.Tensor2D, temperature: number): tf.Tensor2D {
  assertMatrix('sharpen', 'probabilities', probabilities);
  assertPositiveFinite('sharpen', 'temperature', temperature);
  return tf.tidy(() => {
    const powered = tf.pow(probabilities, 1 / temperature);
    return tf.div(powered, tf.sum(powered, 1, true));
  });
}
