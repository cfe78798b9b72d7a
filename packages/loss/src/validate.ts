// Tensor checks of the losses' inputs; the scalar checks come from @msn/errors.
import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError, assertRank, checkTensorValues } from '@msn/errors';

/** A non-empty float32 tensor of the given rank. */
export function assertFloatTensor(caller: string, argument: string, tensor: tf.Tensor, rank: 1 | 2, layout: string): void {
  if (!(tensor instanceof tf.Tensor)) {
    throw new InvalidArgumentError({ caller, argument, value: typeof tensor, expected: `a tf.Tensor ${layout}` });
  }
  assertRank(caller, argument, tensor, rank, layout, { nonEmpty: true });
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
