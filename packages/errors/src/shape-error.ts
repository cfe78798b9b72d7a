import { MSN_ERROR, hasErrorMarker } from './msn-error-marker';

const marker = Symbol.for('@msn/errors.ShapeError');

/** Tensors whose shapes do not fit together. */
export class ShapeError extends Error {
  readonly [MSN_ERROR] = true;
  readonly [marker] = true;

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ShapeError';
  }

  static [Symbol.hasInstance](value: unknown): value is ShapeError {
    return hasErrorMarker(this, ShapeError, value, marker);
  }
}
