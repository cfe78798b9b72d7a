// @file The marker that identifies @msn/* errors by shape, so checks survive duplicated installs and versions.

/** Carried by every @msn/* error since 0.1.0 of each package; `isMsnError` reads it. */
export const MSN_ERROR = Symbol.for('msn.error');

/** True for errors thrown by any @msn/* package, whatever its version. */
export function isMsnError(error: unknown): error is Error {
  return typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[MSN_ERROR] === true;
}
