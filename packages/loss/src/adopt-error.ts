import { InvalidArgumentError, ShapeError, isMsnError } from './errors';

/**
 * Re-throws an error of another @msn/* package (e.g. @msn/priors checking a user's prior) as this package's
 * class with the same message, so `instanceof` works for users who import the errors from @msn/loss.
 * The original stays available as `cause`; anything else is re-thrown unchanged.
 */
export function adoptError(error: unknown): never {
  if (isMsnError(error)) {
    if (error.name === 'ShapeError') throw new ShapeError(error.message, { cause: error });
    if (error.name === 'InvalidArgumentError') {
      const { caller, argument, value, expected } = error as InvalidArgumentError;
      throw new InvalidArgumentError({ caller, argument, value, expected }, { cause: error });
    }
  }
  throw error;
}
