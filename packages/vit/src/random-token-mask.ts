// lightly's random token mask: the indices of the tokens each sample keeps, class token first.
import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError, assertBoolean, assertInRange, assertInteger, assertOptions } from '@msn/errors';
import { resolveRandom, type RandomSource } from '@msn/random';

export interface RandomTokenMaskOptions extends RandomSource {
  batchSize: number;
  /** Tokens per sample including the class token (1 + number of patches), e.g. `vit.sequenceLength(imageSize)`. */
  sequenceLength: number;
  /** Share of the maskable tokens to drop, in [0, 1]. */
  maskRatio: number;
  /**
   * When false the class token (index 0) is always kept, first. When true it is maskable like any other token.
   * @default false
   */
  maskClassToken?: boolean;
}

/**
 * Tokens kept per sample: floor((L − 1)·(1 − maskRatio)) + 1 when the class token is protected, else
 * floor(L·(1 − maskRatio)) (lightly's `random_token_mask`).
 *
 * @throws {InvalidArgumentError} for a length < 1 or a ratio outside [0, 1].
 */
export function numTokensKept(sequenceLength: number, maskRatio: number, maskClassToken = false): number {
  const caller = 'numTokensKept';
  assertInteger(caller, 'sequenceLength', sequenceLength, 1);
  assertInRange(caller, 'maskRatio', maskRatio, 0, 1);
  return maskClassToken ? Math.floor(sequenceLength * (1 - maskRatio)) : Math.floor((sequenceLength - 1) * (1 - maskRatio)) + 1;
}

/**
 * Draws which tokens each sample keeps: int32 `[batchSize, numTokensKept]`. With the class token protected, index 0
 * comes first and the other kept indices follow in random, unsorted order (a uniform random subset in uniform
 * random order, the distribution of lightly's argsort of uniform noise); otherwise all kept indices are random.
 * This is the `idxKeep` convention of `MaskedVisionTransformer.forward`.
 *
 * @example const idxKeep = randomTokenMask({ batchSize: 32, sequenceLength: 65, maskRatio: 0.15, seed: 7 }); // [32, 55]
 * @throws {InvalidArgumentError} for a non-integer or non-positive size, a ratio outside [0, 1], a mask that keeps no
 *   token, or an invalid seed/random.
 */
export function randomTokenMask(options: RandomTokenMaskOptions): tf.Tensor2D {
  const caller = 'randomTokenMask';
  assertOptions(
    caller,
    options,
    ['batchSize', 'sequenceLength', 'maskRatio', 'maskClassToken', 'seed', 'random'],
    '{ batchSize, sequenceLength, maskRatio, ... }',
  );
  const { batchSize, sequenceLength, maskRatio, maskClassToken = false } = options;
  assertInteger(caller, 'batchSize', batchSize, 1);
  assertInteger(caller, 'sequenceLength', sequenceLength, 1);
  assertInRange(caller, 'maskRatio', maskRatio, 0, 1);
  assertBoolean(caller, 'maskClassToken', maskClassToken);
  const kept = numTokensKept(sequenceLength, maskRatio, maskClassToken);
  if (kept < 1) {
    throw new InvalidArgumentError({
      caller,
      argument: 'maskRatio',
      value: maskRatio,
      expected: `a ratio that keeps at least one of ${sequenceLength} tokens`,
    });
  }
  const random = resolveRandom(caller, options);
  const first = maskClassToken ? 0 : 1;
  const candidates = new Int32Array(sequenceLength - first);
  const indices = new Int32Array(batchSize * kept);
  for (let sample = 0; sample < batchSize; sample++) {
    for (let index = 0; index < candidates.length; index++) candidates[index] = first + index;
    let cursor = sample * kept;
    if (!maskClassToken) indices[cursor++] = 0;
    // Partial Fisher–Yates: the first picks of a uniform random permutation.
    for (let pick = 0; pick < kept - (maskClassToken ? 0 : 1); pick++) {
      const swap = pick + random.nextInt(candidates.length - pick);
      const chosen = candidates[swap]!;
      candidates[swap] = candidates[pick]!;
      candidates[pick] = chosen;
      indices[cursor++] = chosen;
    }
  }
  return tf.tensor2d(indices, [batchSize, kept], 'int32');
}
