export { InvalidArgumentError, ShapeError, isMsnError } from './errors';
export type { InvalidArgumentDetails } from './errors';
export type { Prior } from './prior';
export { uniformPrior } from './uniform-prior';
export { powerLawPrior } from './power-law-prior';
export { empiricalPrior } from './empirical-prior';
export { evaluatePrior, priorSumTolerance } from './evaluate-prior';
export { settleDeviceChecks } from './device-check';
