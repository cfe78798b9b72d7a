import { MSN_ERROR, hasErrorMarker } from './msn-error-marker';

const marker = Symbol.for('@msn/errors.DeviceError');

/** The GPU rejected work (a WebGPU validation or out-of-memory error): it dropped those commands, so results are invalid. */
export class DeviceError extends Error {
  readonly [MSN_ERROR] = true;
  readonly [marker] = true;

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'DeviceError';
  }

  static [Symbol.hasInstance](value: unknown): value is DeviceError {
    return hasErrorMarker(this, DeviceError, value, marker);
  }
}
