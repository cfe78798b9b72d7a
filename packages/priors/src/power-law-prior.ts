import * as tf from '@tensorflow/tfjs-core';
import { namePrior, type Prior } from './prior';
import { assertNonNegativeFinite } from '@msn/errors';
import { assertMeanAnchorProbs } from './validate';

/** pₖ = k^(−exponent) / Σⱼ j^(−exponent), k = 1…size, in float64 (rounded once to float32 by the caller). */
function powerLawValues(size: number, exponent: number): Float64Array {
  const values = new Float64Array(size);
  let total = 0;
  for (let index = 0; index < size; index++) {
    values[index] = (index + 1) ** -exponent;
    total += values[index]!;
  }
  for (let index = 0; index < size; index++) values[index]! /= total;
  return values;
}

/**
 * The PMSN power-law prior pₖ ∝ k^(−exponent), k = 1…K (1-based, so the first cluster is the largest),
 * K taken from the length of its input (lightly's `power_law_distribution`). Exponent 0 is uniform; PMSN
 * uses 0.25.
 *
 * Computed in float64 on the CPU and rounded once to float32, which is closer to the float64 reference than
 * computing it with float32 tensor ops; the values are cached per K, so repeated calls cost one small upload.
 *
 * @param exponent - τ ≥ 0 of the power law.
 * @example
 * const prior = powerLawPrior(0.25)(meanAnchorProbs); // [K], decreasing, sums to 1
 * @throws {InvalidArgumentError} when `exponent` is not a finite number >= 0.
 * @throws {ShapeError} (when called) if `meanAnchorProbs` is not a non-empty 1-D tensor.
 */
export function powerLawPrior(exponent: number): Prior {
  assertNonNegativeFinite('powerLawPrior', 'exponent', exponent);
  let cached: { size: number; values: Float32Array } | undefined;
  return namePrior((meanAnchorProbs) => {
    assertMeanAnchorProbs('powerLawPrior', meanAnchorProbs);
    const size = meanAnchorProbs.size;
    if (cached?.size !== size) cached = { size, values: Float32Array.from(powerLawValues(size, exponent)) };
    return tf.tensor1d(cached.values, 'float32');
  }, `powerLawPrior(${exponent})`);
}
