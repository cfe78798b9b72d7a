import { MsnError } from './msn-error';

/** A safetensors file or buffer that cannot be read: names the source and the byte offset of the problem. */
export class SafetensorsError extends MsnError {
  static override readonly errorName = 'SafetensorsError';
  /** The file path, or a description such as `'buffer'`. */
  readonly source: string;
  /** Byte offset in the file where the problem was found. */
  readonly offset: number;

  constructor(details: { source: string; offset: number; problem: string }, options?: ErrorOptions) {
    super(`safetensors ${details.source}: ${details.problem} (at byte offset ${details.offset})`, options);
    this.source = details.source;
    this.offset = details.offset;
  }
}
