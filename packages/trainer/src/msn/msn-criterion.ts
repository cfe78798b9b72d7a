// @file MSN or PMSN from one option: the regulariser's prior ('uniform', 'power_law' or a function).
import * as tf from '@tensorflow/tfjs-core';
import { MSNLoss, PMSNCustomLoss, PMSNLoss, type MSNLossOptions } from '@msn/loss';
import { evaluatePrior, type Prior } from '@msn/priors';
import { InvalidArgumentError, assertInteger, assertNonNegativeFinite, assertOptions } from '@msn/errors';

/**
 * The prior of the regulariser: `'uniform'` is MSN (me-max, KL(q ‖ uniform)), `'power_law'` PMSN with
 * pₖ ∝ k^(−powerLawExponent), a function a custom PMSN prior (`@msn/priors`' `Prior`, e.g. `empiricalPrior(counts)`
 * or one loaded with {@link loadPriorModule}).
 */
export type PriorOption = 'uniform' | 'power_law' | Prior;

/** Options of {@link createMSNCriterion}. */
export interface MSNCriterionOptions extends Omit<MSNLossOptions, 'targetDistribution' | 'powerLawExponent'> {
  /** Number K of prototypes: a custom prior is probed with a uniform [K] vector before training. */
  numPrototypes: number;
  /** @default 'uniform' (MSN) */
  prior?: PriorOption;
  /** Exponent of the `'power_law'` prior (only with it). @default 0.25 (PMSN) */
  powerLawExponent?: number;
  /** How errors name a custom prior (e.g. its file). @default the function's name */
  priorName?: string;
}

const KNOWN = [
  'numPrototypes',
  'prior',
  'powerLawExponent',
  'priorName',
  'temperature',
  'sinkhornIterations',
  'regularizationWeight',
  'entropyWeight',
  'gatherDistributed',
  'allReduce',
] as const;

/**
 * Builds the loss of an MSN or PMSN run: `MSNLoss` for `prior: 'uniform'`, `PMSNLoss` for `'power_law'`,
 * `PMSNCustomLoss` for a function. A custom prior is called once here with the uniform distribution over the
 * `numPrototypes` clusters and its result checked (`evaluatePrior`: shape [K], finite, non-negative, summing to 1),
 * so a prior of the wrong length fails at start-up with a clear message rather than inside the first step.
 *
 * @example
 * const criterion = createMSNCriterion({ numPrototypes: 1024, prior: 'power_law', powerLawExponent: 0.25 });
 * @throws {InvalidArgumentError} for an unknown prior name, `powerLawExponent` without `'power_law'`, a custom prior
 *   that fails the probe (wrong length, unnormalised, throws; the original error is the `cause`), or invalid loss options.
 */
export function createMSNCriterion(options: MSNCriterionOptions): MSNLoss {
  const caller = 'createMSNCriterion';
  assertOptions(caller, options, KNOWN, '{ numPrototypes, prior?, powerLawExponent?, … }');
  const { numPrototypes, prior = 'uniform', powerLawExponent, priorName, ...lossOptions } = options;
  assertInteger(caller, 'numPrototypes', numPrototypes, 1);
  if (prior !== 'uniform' && prior !== 'power_law' && typeof prior !== 'function') {
    throw new InvalidArgumentError({
      caller,
      argument: 'prior',
      value: prior,
      expected: "'uniform', 'power_law' or a prior function (meanAnchorProbs: Tensor1D) => Tensor1D",
    });
  }
  if (powerLawExponent !== undefined) {
    if (prior !== 'power_law') {
      throw new InvalidArgumentError({
        caller,
        argument: 'powerLawExponent',
        value: powerLawExponent,
        expected: `no exponent with prior ${typeof prior === 'function' ? 'function' : `'${prior}'`} (it applies to 'power_law' only)`,
      });
    }
    assertNonNegativeFinite(caller, 'powerLawExponent', powerLawExponent);
  }
  if (prior === 'uniform') return new MSNLoss(lossOptions);
  if (prior === 'power_law') return new PMSNLoss({ ...lossOptions, ...(powerLawExponent === undefined ? {} : { powerLawExponent }) });
  probePrior(prior, numPrototypes, priorName ?? (prior.name || 'anonymous prior'));
  return new PMSNCustomLoss({ ...lossOptions, targetDistribution: prior });
}

/**
 * Calls `prior` with the uniform distribution over `numPrototypes` clusters and checks its result.
 * @throws {InvalidArgumentError} naming the prior and K, with the check's error as `cause`.
 */
export function probePrior(prior: Prior, numPrototypes: number, name: string = prior.name || 'anonymous prior'): void {
  const caller = 'probePrior';
  assertInteger(caller, 'numPrototypes', numPrototypes, 1);
  try {
    tf.tidy(() => {
      evaluatePrior(prior, tf.fill([numPrototypes], 1 / numPrototypes) as tf.Tensor1D, name, caller);
    });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new InvalidArgumentError(
      {
        caller,
        argument: `prior ${name}`,
        value: prior,
        expected: `a prior over the ${numPrototypes} prototypes (called with a uniform [${numPrototypes}] vector it must return a float32 [${numPrototypes}] distribution); ${reason}`,
      },
      { cause: error },
    );
  }
}
