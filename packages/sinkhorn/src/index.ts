export { InvalidArgumentError, ShapeError, isMsnError } from '@msn/errors';
export type { InvalidArgumentDetails } from '@msn/errors';
export { sharpen } from './sharpen';
export { sinkhorn } from './sinkhorn';
export type { AllReduceSum, SinkhornOptions } from './sinkhorn';
