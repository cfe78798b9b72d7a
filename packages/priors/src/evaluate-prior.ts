import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError, ShapeError, checkTensorValues } from '@msn/errors';
import type { Prior } from './prior';
import { assertMeanAnchorProbs } from './validate';

/**
 * How far from 1 a prior's sum may be: 1e-4 plus K·2⁻²⁴, the worst-case rounding error of summing K float32
 * values one after another (a prior normalised with float32 ops, e.g. `x.div(x.sum())` on wasm, lands well
 * inside it). The sum itself is taken in float64 from the float32 values. A prior off by more is a bug
 * (a forgotten normalisation, a dropped entry), not rounding.
 */
export function priorSumTolerance(size: number): number {
  return 1e-4 + size * 2 ** -24;
}

// A failure for the first negative or non-finite entry, or for a sum off 1; undefined when the values are a prior.
function checkProbabilities(values: ArrayLike<number>, caller: string, label: string): Error | undefined {
  let total = 0;
  for (let index = 0; index < values.length; index++) {
    const value = values[index]!;
    if (!Number.isFinite(value) || value < 0) {
      return new InvalidArgumentError({ caller, argument: `${label} [entry ${index}]`, value, expected: 'finite probabilities >= 0' });
    }
    total += value;
  }
  const tolerance = priorSumTolerance(values.length);
  if (Math.abs(total - 1) <= tolerance) return undefined;
  return new InvalidArgumentError({
    caller,
    argument: `${label} [sum]`,
    value: total,
    expected: `probabilities summing to 1 (within ${tolerance.toPrecision(2)})`,
  });
}

function nameOf(prior: Prior, name: string | undefined): string {
  return name ?? (prior.name || 'anonymous prior');
}

/**
 * Calls a prior and checks what it returns: a float32 tensor of shape [K] (K = the length of
 * `meanAnchorProbs`) of finite, non-negative values summing to 1 within {@link priorSumTolerance}.
 * Every failure names the prior. Reads the K values back (one small download: synchronous on cpu and wasm; on a GPU
 * backend asynchronous, the failure then thrown by the next check or by `settleDeviceChecks()`).
 *
 * Leak-free: tensors the prior creates during the call are freed if it fails. The returned tensor belongs to
 * the caller (it may be `meanAnchorProbs` itself or a tensor the prior keeps, if that is what the prior returns).
 *
 * @param prior - The prior to evaluate.
 * @param meanAnchorProbs - Mean anchor probabilities `[K]`, passed to the prior.
 * @param name - How errors name the prior. @default `prior.name`, else `'anonymous prior'`
 * @param caller - How errors name the calling function. @default `'evaluatePrior'`
 * @example
 * const target = evaluatePrior(myPrior, meanAnchorProbs, 'myPrior');
 * @throws {ShapeError} when `meanAnchorProbs` is not 1-D, or the prior's result has the wrong shape.
 * @throws {InvalidArgumentError} when `prior` is not a function, throws, returns a non-tensor, a non-float32
 * tensor, a negative or non-finite value, or values whose sum is off 1.
 */
export function evaluatePrior(prior: Prior, meanAnchorProbs: tf.Tensor1D, name?: string, caller = 'evaluatePrior'): tf.Tensor1D {
  if (typeof prior !== 'function') {
    throw new InvalidArgumentError({ caller, argument: 'prior', value: prior, expected: 'a function (meanAnchorProbs: Tensor1D) => Tensor1D' });
  }
  assertMeanAnchorProbs(caller, meanAnchorProbs);
  const label = `prior ${nameOf(prior, name)}`;
  const size = meanAnchorProbs.size;
  // tidy frees what the prior allocated when a check below throws; on success it passes the result through.
  return tf.tidy(() => {
    let result: unknown;
    try {
      result = prior(meanAnchorProbs);
    } catch (error) {
      throw new InvalidArgumentError(
        { caller, argument: label, value: prior, expected: `a prior that does not throw (it threw: ${String(error)})` },
        { cause: error },
      );
    }
    if (!(result instanceof tf.Tensor)) {
      throw new InvalidArgumentError({
        caller,
        argument: label,
        value: result === null ? 'null' : typeof result,
        expected: `a tf.Tensor1D of shape [${size}] as its result`,
      });
    }
    if (result.rank !== 1 || result.size !== size) {
      throw new ShapeError(
        `${caller}: ${label} returned shape [${result.shape}]; expected [${size}] (one probability per cluster, the length of meanAnchorProbs)`,
      );
    }
    if (result.dtype !== 'float32') {
      throw new InvalidArgumentError({ caller, argument: label, value: result.dtype, expected: 'a float32 result' });
    }
    // The checks need the values: at once on cpu/wasm, read back asynchronously on a GPU (see device-check.ts).
    checkTensorValues(tf.clone(result), (values) => checkProbabilities(values, caller, label));
    return result as tf.Tensor1D;
  });
}
