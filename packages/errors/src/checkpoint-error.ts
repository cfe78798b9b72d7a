import { MSN_ERROR, hasErrorMarker } from './msn-error-marker';

const marker = Symbol.for('@msn/errors.CheckpointError');

/** A checkpoint folder that cannot be used (missing, incomplete, corrupt or of another format). */
export class CheckpointError extends Error {
  readonly [MSN_ERROR] = true;
  readonly [marker] = true;

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'CheckpointError';
  }

  static [Symbol.hasInstance](value: unknown): value is CheckpointError {
    return hasErrorMarker(this, CheckpointError, value, marker);
  }
}
