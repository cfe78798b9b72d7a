// @file The shape and dtype checks every package runs on tensors it is given.
import type * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError } from './invalid-argument-error';
import { ShapeError } from './shape-error';

/**
 * A tensor of the given rank; `layout` names its axes in the message (e.g. `'[rows, classes]'`) and `nonEmpty`
 * also rejects tensors with no elements.
 */
export function assertRank(caller: string, argument: string, tensor: tf.Tensor, rank: number, layout: string, { nonEmpty = false } = {}): void {
  if (tensor.rank !== rank || (nonEmpty && tensor.size === 0)) {
    const kind = `${nonEmpty ? 'non-empty ' : ''}${rank}-D ${layout}`;
    throw new ShapeError(`${caller}: '${argument}' must be a ${kind} tensor, got shape [${tensor.shape}]`);
  }
}

export function assertDtype(caller: string, argument: string, tensor: tf.Tensor, dtype: tf.DataType): void {
  if (tensor.dtype !== dtype) {
    throw new InvalidArgumentError({ caller, argument, value: `${tensor.dtype} tensor`, expected: `a ${dtype} tensor` });
  }
}
