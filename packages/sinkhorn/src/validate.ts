import type * as tf from '@tensorflow/tfjs-core';
import { assertRank } from '@msn/errors';

/** Sinkhorn and sharpening work on [rows, classes] score matrices. */
export function assertMatrix(caller: string, argument: string, tensor: tf.Tensor): asserts tensor is tf.Tensor2D {
  assertRank(caller, argument, tensor, 2, '[rows, classes]');
}
