import type * as tf from '@tensorflow/tfjs-core';
import { assertRank } from '@msn/errors';

/** The argument every prior receives: a non-empty float32 vector. */
export function assertMeanAnchorProbs(caller: string, meanAnchorProbs: tf.Tensor): asserts meanAnchorProbs is tf.Tensor1D {
  assertRank(caller, 'meanAnchorProbs', meanAnchorProbs, 1, '[K]', { nonEmpty: true });
}
