import { MsnError } from './msn-error';

/** A backend requested by name that cannot be used (not installed, fails to load or to initialise). */
export class BackendUnavailableError extends MsnError {
  static override readonly errorName = 'BackendUnavailableError';
}
