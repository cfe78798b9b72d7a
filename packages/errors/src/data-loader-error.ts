import { MsnError } from './msn-error';

/** A sample failed inside a DataLoader (main thread or worker); the message names the sample and the cause. */
export class DataLoaderError extends MsnError {
  static override readonly errorName = 'DataLoaderError';
  /** Dataset index of the failing sample, when known. */
  readonly index: number | undefined;
  /** File of the failing sample, when known. */
  readonly file: string | undefined;

  constructor(message: string, details: { index?: number; file?: string } = {}, options?: ErrorOptions) {
    super(message, options);
    this.index = details.index;
    this.file = details.file;
  }
}
