import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError } from '@msn/errors';
import { namePrior, type Prior } from './prior';
import { assertMeanAnchorProbs } from './validate';

/**
 * Resamples class frequencies, sorted in decreasing order, to `size` clusters by area: the sorted classes
 * are laid side by side on [0, 1], class i covering an interval of width 1/C with constant density, and
 * cluster k receives the mass of [(k−1)/size, k/size). Equivalently, piecewise-linear interpolation of the
 * cumulative distribution F (F(i/C) = f₁ + … + fᵢ) at k/size, then pₖ = F(k/size) − F((k−1)/size).
 */
export function resampleSortedFrequencies(sortedFrequencies: ArrayLike<number>, size: number): Float64Array {
  const classes = sortedFrequencies.length;
  const cumulative = new Float64Array(classes + 1);
  for (let index = 0; index < classes; index++) cumulative[index + 1] = cumulative[index]! + sortedFrequencies[index]!;
  // F at position x ∈ [0, C] (in units of classes).
  const distribution = (position: number): number => {
    const whole = Math.min(Math.floor(position), classes - 1);
    return cumulative[whole]! + (position - whole) * sortedFrequencies[whole]!;
  };
  const resampled = new Float64Array(size);
  let previous = 0;
  let total = 0;
  for (let cluster = 0; cluster < size; cluster++) {
    // (cluster + 1)·C / size computed exactly at the last edge so the masses telescope to F(C) = 1.
    const next = cluster === size - 1 ? cumulative[classes]! : distribution(((cluster + 1) * classes) / size);
    resampled[cluster] = Math.max(next - previous, 0);
    total += resampled[cluster]!;
    previous = next;
  }
  for (let cluster = 0; cluster < size; cluster++) resampled[cluster]! /= total;
  return resampled;
}

/**
 * A prior from known class frequencies (e.g. label counts of a labelled subset), resampled to K clusters.
 *
 * Prototypes are unordered, so only the shape of the class-size curve matters: the counts are sorted in
 * decreasing order, normalised to frequencies, and their cumulative distribution is interpolated
 * piecewise-linearly to K equal steps (see {@link resampleSortedFrequencies}). Consequences:
 * - K = C gives exactly the sorted frequencies; K = m·C splits every class into m equal clusters; C = m·K
 *   merges each run of m consecutive (sorted) classes into one cluster;
 * - the result sums to 1, is non-negative and non-increasing, and ignores the order and the scale of `counts`.
 *
 * @param counts - Non-negative finite class counts or frequencies (at least one > 0).
 * @example
 * const prior = empiricalPrior([500, 120, 40, 8]); // 4 classes, any K
 * const loss = new PMSNCustomLoss({ targetDistribution: prior });
 * @throws {InvalidArgumentError} when `counts` is empty, has a negative or non-finite entry, or sums to 0.
 * @throws {ShapeError} (when called) if `meanAnchorProbs` is not a non-empty 1-D tensor.
 */
export function empiricalPrior(counts: ArrayLike<number>): Prior {
  const caller = 'empiricalPrior';
  if (counts === null || typeof counts !== 'object' || typeof counts.length !== 'number' || counts.length === 0) {
    throw new InvalidArgumentError({ caller, argument: 'counts', value: counts, expected: 'a non-empty array of counts' });
  }
  const values = Array.from(counts);
  values.forEach((count, index) => {
    if (typeof count !== 'number' || !Number.isFinite(count) || count < 0) {
      throw new InvalidArgumentError({
        caller,
        argument: `counts[${index}]`,
        value: count,
        expected: 'a finite number >= 0',
      });
    }
  });
  const total = values.reduce((sum, count) => sum + count, 0);
  if (!(total > 0)) {
    // Print short arrays whole; a long all-zero array would flood the message.
    const shown = values.length <= 10 ? values : `${values.length} zeros`;
    throw new InvalidArgumentError({ caller, argument: 'counts', value: shown, expected: 'at least one count > 0' });
  }
  const sortedFrequencies = values.map((count) => count / total).sort((left, right) => right - left);
  let cached: { size: number; values: Float32Array } | undefined;
  return namePrior((meanAnchorProbs) => {
    assertMeanAnchorProbs(caller, meanAnchorProbs);
    const size = meanAnchorProbs.size;
    if (cached?.size !== size) {
      cached = { size, values: Float32Array.from(resampleSortedFrequencies(sortedFrequencies, size)) };
    }
    return tf.tensor1d(cached.values, 'float32');
  }, `empiricalPrior(${values.length} classes)`);
}
