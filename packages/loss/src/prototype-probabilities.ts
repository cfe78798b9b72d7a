import * as tf from '@tensorflow/tfjs-core';
import { ShapeError } from '@msn/errors';
import { matMulByTranspose } from './mat-mul-by-transpose';
import { assertPositiveFinite } from '@msn/errors';
import { assertFloatTensor } from './validate';

/** Similarities to every prototype divided by the temperature: (x · prototypesᵀ) / τ, shape [B, K]. */
export function prototypeLogits(x: tf.Tensor2D, prototypes: tf.Tensor2D, temperature: number): tf.Tensor2D {
  return tf.tidy(() => tf.div(matMulByTranspose(x, prototypes), temperature));
}

/**
 * Soft assignment of each row of `x` `[B, D]` to the prototypes `[K, D]`: softmax over k of
 * (x · prototypesᵀ) / τ, shape [B, K] (lightly's `prototype_probabilities`). Like the reference it does not
 * normalise its inputs; the losses pass L2-normalised rows, so the logits are cosine similarities / τ.
 *
 * @param x - Rows to assign, `[B, D]`.
 * @param prototypes - Prototype vectors, `[K, D]`.
 * @param temperature - τ > 0; smaller is sharper.
 * @example
 * const probs = prototypeProbabilities(normalizedAnchors, normalizedPrototypes, 0.1); // rows sum to 1
 * @throws {ShapeError} when a tensor is not 2-D or the last dimensions differ.
 * @throws {InvalidArgumentError} when `temperature` is not a finite number > 0 or a tensor is not float32.
 */
export function prototypeProbabilities(x: tf.Tensor, prototypes: tf.Tensor, temperature: number): tf.Tensor2D {
  const caller = 'prototypeProbabilities';
  assertFloatTensor(caller, 'x', x, 2, '[B, D]');
  assertFloatTensor(caller, 'prototypes', prototypes, 2, '[K, D]');
  if (x.shape[1] !== prototypes.shape[1]) {
    throw new ShapeError(`${caller}: x [${x.shape}] and prototypes [${prototypes.shape}] must share the last dimension`);
  }
  assertPositiveFinite(caller, 'temperature', temperature);
  return tf.tidy(() => tf.softmax(prototypeLogits(x as tf.Tensor2D, prototypes as tf.Tensor2D, temperature)));
}
