import { MSN_ERROR, hasErrorMarker } from './msn-error-marker';

const marker = Symbol.for('@msn/errors.SafetensorsError');

/** A safetensors file or buffer that cannot be read: names the source and the byte offset of the problem. */
export class SafetensorsError extends Error {
  readonly [MSN_ERROR] = true;
  readonly [marker] = true;
  /** The file path, or a description such as `'buffer'`. */
  readonly source: string;
  /** Byte offset in the file where the problem was found. */
  readonly offset: number;

  constructor(details: { source: string; offset: number; problem: string }, options?: ErrorOptions) {
    super(`safetensors ${details.source}: ${details.problem} (at byte offset ${details.offset})`, options);
    this.name = 'SafetensorsError';
    this.source = details.source;
    this.offset = details.offset;
  }

  static [Symbol.hasInstance](value: unknown): value is SafetensorsError {
    return hasErrorMarker(this, SafetensorsError, value, marker);
  }
}
