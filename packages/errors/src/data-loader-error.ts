import { MSN_ERROR, hasErrorMarker } from './msn-error-marker';

const marker = Symbol.for('@msn/errors.DataLoaderError');

/** A sample failed inside a DataLoader (main thread or worker); the message names the sample and the cause. */
export class DataLoaderError extends Error {
  readonly [MSN_ERROR] = true;
  readonly [marker] = true;
  /** Dataset index of the failing sample, when known. */
  readonly index: number | undefined;
  /** File of the failing sample, when known. */
  readonly file: string | undefined;

  constructor(message: string, details: { index?: number; file?: string } = {}, options?: ErrorOptions) {
    super(message, options);
    this.name = 'DataLoaderError';
    this.index = details.index;
    this.file = details.file;
  }

  static [Symbol.hasInstance](value: unknown): value is DataLoaderError {
    return hasErrorMarker(this, DataLoaderError, value, marker);
  }
}
