import * as tf from '@tensorflow/tfjs-core';
import { evaluatePrior, powerLawPrior, settleDeviceChecks, uniformPrior, type Prior } from '@msn/priors';
import { InvalidArgumentError, assertInteger } from '@msn/errors';
import type { PriorOption } from '../msn/msn-criterion';

/**
 * The target distribution of a run's prior over its K prototypes, largest first: what the sorted prototype usage
 * (`PrototypeUsage.sortedShares`) is compared with in health.json and the training report. A custom prior is
 * evaluated at the uniform distribution (as `probePrior` checks it), so a prior that adapts to the predictions
 * shows its starting target.
 *
 * @example await priorTargetShares('power_law', 4, 0.25) // [0.35, 0.29, 0.19, …] decreasing, sums to 1
 * @throws {InvalidArgumentError} for an unknown prior or K < 1; a custom prior's own errors (wrong length, …).
 */
export async function priorTargetShares(prior: PriorOption, numPrototypes: number, powerLawExponent?: number): Promise<number[]> {
  const caller = 'priorTargetShares';
  assertInteger(caller, 'numPrototypes', numPrototypes, 1);
  let priorFunction: Prior;
  if (prior === 'uniform') priorFunction = uniformPrior();
  else if (prior === 'power_law') priorFunction = powerLawPrior(powerLawExponent ?? 0.25);
  else if (typeof prior === 'function') priorFunction = prior;
  else throw new InvalidArgumentError({ caller, argument: 'prior', value: prior, expected: "'uniform', 'power_law' or a prior function" });
  const target = tf.tidy(() => evaluatePrior(priorFunction, tf.fill([numPrototypes], 1 / numPrototypes) as tf.Tensor1D, undefined, caller));
  // Read asynchronously: a GPU backend (webgpu) has no synchronous read in Node; its deferred prior checks settle here.
  try {
    const values = Array.from(await target.data());
    await settleDeviceChecks();
    return values.sort((left, right) => right - left);
  } finally {
    target.dispose();
  }
}
