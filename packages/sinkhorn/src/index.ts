export { InvalidArgumentError, ShapeError, isMsnError } from './errors';
export type { InvalidArgumentDetails } from './errors';
export { sharpen } from './sharpen';
export { sinkhorn } from './sinkhorn';
export type { AllReduceSum, SinkhornOptions } from './sinkhorn';
