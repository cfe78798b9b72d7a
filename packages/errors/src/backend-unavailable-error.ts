import { MSN_ERROR, hasErrorMarker } from './msn-error-marker';

const marker = Symbol.for('@msn/errors.BackendUnavailableError');

/** A backend requested by name that cannot be used (not installed, fails to load or to initialise). */
export class BackendUnavailableError extends Error {
  readonly [MSN_ERROR] = true;
  readonly [marker] = true;

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'BackendUnavailableError';
  }

  static [Symbol.hasInstance](value: unknown): value is BackendUnavailableError {
    return hasErrorMarker(this, BackendUnavailableError, value, marker);
  }
}
