// @file How the views of an MSNTransform batch map onto one MSN step: target, anchors, focal views.
import type * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError, assertInteger } from '@msn/errors';

/** The views of one batch, as `msnTrainingStep` takes them. */
export interface MSNViewLayout {
  /** View 0 `[B, 3, S, S]`: encoded by the target encoder. */
  targets: tf.Tensor4D;
  /** Views 1 … randomViews − 1: the anchor views (masked). */
  anchors: tf.Tensor4D[];
  /** Views randomViews …: the focal views (masked; none when the transform makes none). */
  focal: tf.Tensor4D[];
}

/**
 * Splits the views of an `MSNTransform` batch (`randomViews` random views, then the focal views) the way lightly's
 * MSN example does: view 0 is the target, views 1 … randomViews − 1 are the anchors, the rest are focal views.
 * The tensors are the caller's (nothing is copied).
 *
 * @example const { targets, anchors, focal } = splitMSNViews(batch.views, transform.options.randomViews);
 * @throws {InvalidArgumentError} when `randomViews` is not an integer ≥ 2 or there are fewer views than that.
 */
export function splitMSNViews(views: readonly tf.Tensor4D[], randomViews = 2): MSNViewLayout {
  const caller = 'splitMSNViews';
  assertInteger(caller, 'randomViews', randomViews, 2);
  if (!Array.isArray(views) || views.length < randomViews) {
    throw new InvalidArgumentError({
      caller,
      argument: 'views',
      value: Array.isArray(views) ? `${views.length} views` : views,
      expected: `at least randomViews = ${randomViews} views (1 target + ${randomViews - 1} anchor views, then the focal views)`,
    });
  }
  return { targets: views[0]!, anchors: views.slice(1, randomViews), focal: views.slice(randomViews) };
}
