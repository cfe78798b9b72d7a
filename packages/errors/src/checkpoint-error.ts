import { MsnError } from './msn-error';

/** A checkpoint folder that cannot be used (missing, incomplete, corrupt or of another format). */
export class CheckpointError extends MsnError {
  static override readonly errorName = 'CheckpointError';
}
