export { BackendUnavailableError } from './backend-unavailable-error';
export { CheckpointError } from './checkpoint-error';
export { DataFileError } from './data-file-error';
export type { DataFileErrorDetails } from './data-file-error';
export { DataLoaderError } from './data-loader-error';
export { DeviceError } from './device-error';
export { checkTensorValues, settleDeviceChecks } from './device-check';
export { InvalidArgumentError } from './invalid-argument-error';
export type { InvalidArgumentDetails } from './invalid-argument-error';
export { MsnError } from './msn-error';
export { isMsnError } from './msn-error-marker';
export { SafetensorsError } from './safetensors-error';
export { ShapeError } from './shape-error';
export { StateDictError } from './state-dict-error';
export type { StateDictMismatch } from './state-dict-error';
export {
  assertBoolean,
  assertFiniteNumber,
  assertInRange,
  assertInteger,
  assertKnownKeys,
  assertNonNegativeFinite,
  assertOneOf,
  assertOptions,
  assertPositiveFinite,
  assertProbability,
  assertString,
} from './argument-checks';
export type { RangeEnds } from './argument-checks';
export { assertDtype, assertRank } from './tensor-checks';
