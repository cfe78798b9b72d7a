import type * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError, ShapeError } from '@msn/errors';

export function assertMatrix(caller: string, argument: string, tensor: tf.Tensor): asserts tensor is tf.Tensor2D {
  if (tensor.rank !== 2) {
    throw new ShapeError(`${caller}: '${argument}' must be a 2-D [rows, classes] tensor, got shape [${tensor.shape}]`);
  }
}

export function assertPositiveFinite(caller: string, argument: string, value: number): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new InvalidArgumentError({ caller, argument, value, expected: 'a finite number > 0' });
  }
}

export function assertNonNegativeInteger(caller: string, argument: string, value: number): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw new InvalidArgumentError({ caller, argument, value, expected: 'an integer >= 0' });
  }
}
