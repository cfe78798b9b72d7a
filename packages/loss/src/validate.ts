import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError, ShapeError, checkTensorValues } from '@msn/errors';

export function assertPositiveFinite(caller: string, argument: string, value: number): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new InvalidArgumentError({ caller, argument, value, expected: 'a finite number > 0' });
  }
}

export function assertNonNegativeFinite(caller: string, argument: string, value: number): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new InvalidArgumentError({ caller, argument, value, expected: 'a finite number >= 0' });
  }
}

export function assertNonNegativeInteger(caller: string, argument: string, value: number): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw new InvalidArgumentError({ caller, argument, value, expected: 'an integer >= 0' });
  }
}

/** A non-empty float32 tensor of the given rank. */
export function assertFloatTensor(
  caller: string,
  argument: string,
  tensor: tf.Tensor,
  rank: 1 | 2,
  layout: string,
): void {
  if (!(tensor instanceof tf.Tensor)) {
    throw new InvalidArgumentError({ caller, argument, value: typeof tensor, expected: `a tf.Tensor ${layout}` });
  }
  if (tensor.rank !== rank || tensor.size === 0) {
    throw new ShapeError(`${caller}: '${argument}' must be a non-empty ${rank}-D ${layout} tensor, got shape [${tensor.shape}]`);
  }
  if (tensor.dtype !== 'float32') {
    throw new InvalidArgumentError({ caller, argument: `${argument}.dtype`, value: tensor.dtype, expected: '"float32"' });
  }
}

/**
 * Throws naming the first tensor holding a NaN or ±Infinity. Finiteness needs a data read, so all tensors
 * are checked with one fused pass and a single download of one number per tensor: x·0 is 0 for finite x and
 * NaN otherwise, so sum(x·0) is NaN exactly when x has a non-finite entry (a plain sum could overflow to
 * Infinity on large finite inputs). On GPU backends the download is asynchronous (see device-check.ts).
 */
export function assertFinite(caller: string, tensors: Record<string, tf.Tensor>): void {
  const names = Object.keys(tensors);
  const flags = tf.tidy(() => tf.stack(names.map((name) => tf.sum(tf.mul(tensors[name]!, 0)))));
  checkTensorValues(flags, (values) => {
    const index = names.findIndex((_, position) => Number.isNaN(values[position]!));
    if (index < 0) return undefined;
    const name = names[index]!;
    return new InvalidArgumentError({
      caller,
      argument: name,
      value: `tensor [${tensors[name]!.shape}] with NaN or Infinity`,
      expected: 'finite values only',
    });
  });
}
