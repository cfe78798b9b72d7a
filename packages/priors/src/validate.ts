import type * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError, ShapeError } from '@msn/errors';

export function assertNonNegativeFinite(caller: string, argument: string, value: number): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new InvalidArgumentError({ caller, argument, value, expected: 'a finite number >= 0' });
  }
}

/** The argument every prior receives: a non-empty float32 vector. */
export function assertMeanAnchorProbs(caller: string, meanAnchorProbs: tf.Tensor): asserts meanAnchorProbs is tf.Tensor1D {
  if (meanAnchorProbs.rank !== 1 || meanAnchorProbs.size === 0) {
    throw new ShapeError(
      `${caller}: 'meanAnchorProbs' must be a non-empty 1-D [K] tensor, got shape [${meanAnchorProbs.shape}]`,
    );
  }
}
