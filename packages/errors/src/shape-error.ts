import { MsnError } from './msn-error';

/** Tensors whose shapes do not fit together. */
export class ShapeError extends MsnError {
  static override readonly errorName = 'ShapeError';
}
