import { MsnError } from './msn-error';

/** The GPU rejected work (a WebGPU validation or out-of-memory error): it dropped those commands, so results are invalid. */
export class DeviceError extends MsnError {
  static override readonly errorName = 'DeviceError';
}
