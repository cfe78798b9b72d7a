import type { Prior } from '@msn/priors';
import { InvalidArgumentError } from '@msn/errors';
import { MSNLoss, type MSNLossOptions } from './msn-loss';

/** Options of {@link PMSNCustomLoss}: those of {@link MSNLoss}, with a required prior function. */
export interface PMSNCustomLossOptions extends Omit<MSNLossOptions, 'targetDistribution' | 'powerLawExponent'> {
  /** The prior: maps the mean anchor probabilities `[K]` to a distribution `[K]` (see `@msn/priors`). */
  targetDistribution: Prior;
}

/**
 * PMSN with a custom prior (lightly's `PMSNCustomLoss`): the regulariser is KL(prior(q) ‖ q). The prior's
 * result is checked on every call (shape [K], finite, non-negative, summing to 1); a bad one throws an
 * error naming the prior. A uniform prior here is KL(u ‖ q), not MSN's me-max KL(q ‖ u).
 *
 * @example
 * const criterion = new PMSNCustomLoss({ targetDistribution: empiricalPrior(classCounts) });
 * const loss = criterion.forward(anchors, targets, prototypes);
 * @throws {InvalidArgumentError} when `targetDistribution` is not a function, or for an option out of range.
 */
export class PMSNCustomLoss extends MSNLoss {
  static override readonly lossName: string = 'PMSNCustomLoss';

  constructor(options: PMSNCustomLossOptions) {
    const targetDistribution = (options as Partial<PMSNCustomLossOptions> | undefined)?.targetDistribution;
    if (typeof targetDistribution !== 'function') {
      throw new InvalidArgumentError({
        caller: 'PMSNCustomLoss',
        argument: 'targetDistribution',
        value: targetDistribution,
        expected: 'a prior function (meanAnchorProbs: Tensor1D) => Tensor1D',
      });
    }
    super({ ...options, targetDistribution });
  }
}
