import { InvalidArgumentError } from '@msn/errors';
import { MSNLoss, type MSNLossOptions } from './msn-loss';

/** Options of {@link PMSNLoss}: those of {@link MSNLoss} without `targetDistribution` (always the power law). */
export type PMSNLossOptions = Omit<MSNLossOptions, 'targetDistribution'>;

/**
 * PMSN with a power-law prior (lightly's `PMSNLoss`): MSN's loss with the regulariser KL(p ‖ q),
 * pₖ ∝ k^(−powerLawExponent). Same as `new MSNLoss({ targetDistribution: 'power_law', ... })`.
 *
 * @example
 * const criterion = new PMSNLoss({ powerLawExponent: 0.25 });
 * const loss = criterion.forward(anchors, targets, prototypes);
 * @throws {InvalidArgumentError} for an option out of range, or a `targetDistribution` (use PMSNCustomLoss).
 */
export class PMSNLoss extends MSNLoss {
  static override readonly lossName: string = 'PMSNLoss';

  constructor(options: PMSNLossOptions = {}) {
    if (options !== null && typeof options === 'object' && 'targetDistribution' in options) {
      throw new InvalidArgumentError({
        caller: 'PMSNLoss',
        argument: 'targetDistribution',
        value: (options as MSNLossOptions).targetDistribution,
        expected: 'no targetDistribution (PMSNLoss always uses the power law; use PMSNCustomLoss for another prior)',
      });
    }
    super({ ...options, targetDistribution: 'power_law' });
  }
}
