export { InvalidArgumentError, ShapeError, isMsnError, settleDeviceChecks } from '@msn/errors';
export type { InvalidArgumentDetails } from '@msn/errors';
export type { Prior } from './prior';
export { uniformPrior } from './uniform-prior';
export { powerLawPrior } from './power-law-prior';
export { empiricalPrior } from './empirical-prior';
export { evaluatePrior, priorSumTolerance } from './evaluate-prior';
