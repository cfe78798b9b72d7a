import { assertInRange } from '@msn/errors';

/**
 * TensorBoard's scalar smoothing: an exponential moving average with weight `weight`, debiased so the first points
 * are not pulled towards 0 (sₜ = (w·mₜ₋₁ + (1 − w)·xₜ) / (1 − wᵗ)). `null` gaps (steps without the metric) stay gaps.
 *
 * @example smoothSeries([4, 2, 3], 0.5) // [4, 2.667, 2.857]
 * @throws {InvalidArgumentError} when `weight` is not in [0, 1).
 */
export function smoothSeries(values: readonly (number | null)[], weight = 0.6): (number | null)[] {
  assertInRange('smoothSeries', 'weight', weight, 0, 1, { highInclusive: false });
  let moving = 0;
  let count = 0;
  return values.map((value) => {
    if (value === null || !Number.isFinite(value)) return null;
    moving = weight * moving + (1 - weight) * value;
    count++;
    return moving / (1 - weight ** count);
  });
}
