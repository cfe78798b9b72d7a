// @file The views of one MSN sample or batch by role: what the target encoder sees, the anchors, the focal crops.
import { InvalidArgumentError } from '@msn/errors';

/**
 * MSN's views by role. `View` is a `FloatImage` for one sample (`MSNTransform.apply`) and an NCHW `tf.Tensor4D`
 * `[B, 3, size, size]` for a batch (`DataLoader` with an `MSNTransform`).
 */
export interface MSNViews<View> {
  /** The first random view: encoded by the target encoder, without masking. */
  target: View;
  /** The other random views (randomViews − 1 of them): masked, encoded by the anchor encoder. */
  anchors: View[];
  /** The small focal crops (none when the transform makes none): masked, encoded by the anchor encoder. */
  focal: View[];
}

/** Groups views in `MSNTransform` order (`randomViews` random views, then the focal views) by role. */
export function groupMSNViews<View>(views: readonly View[], randomViews: number): MSNViews<View> {
  if (views.length < randomViews || randomViews < 1) {
    throw new InvalidArgumentError({
      caller: 'groupMSNViews',
      argument: 'views',
      value: `${views.length} views`,
      expected: `at least randomViews = ${randomViews} views, with randomViews >= 1`,
    });
  }
  return { target: views[0]!, anchors: views.slice(1, randomViews), focal: views.slice(randomViews) };
}

/** Every view, in `MSNTransform` order (target, anchors, focal). */
export function msnViewList<View>(views: MSNViews<View>): View[] {
  return [views.target, ...views.anchors, ...views.focal];
}
