// @file The markers that identify @msn/* errors by shape, so checks survive duplicated installs and versions.

/** Carried by every @msn/* error since 0.1.0 of each package; `isMsnError` reads it. */
export const MSN_ERROR = Symbol.for('msn.error');

/** True for errors thrown by any @msn/* package, whatever its version. */
export function isMsnError(error: unknown): error is Error {
  return typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[MSN_ERROR] === true;
}

/**
 * The body of each error class's static `Symbol.hasInstance`: `instanceof` asks for the class's own
 * `Symbol.for('@msn/errors.<Name>')` marker instead of the prototype chain, because two installed copies of
 * @msn/errors (ESM and CJS, or two versions) define two classes (vercel/ai's `Symbol.for` pattern). Errors from
 * packages that still carried their own copies have only the shared `msn.error` marker, so they match by `name`.
 */
export function hasErrorMarker(
  target: unknown,
  ownClass: abstract new (...args: never[]) => unknown,
  value: unknown,
  marker: symbol,
): boolean {
  // A subclass (e.g. the trainer's CliArgumentError) inherits this static: give it plain prototype-chain instanceof.
  if (target !== ownClass) return Function.prototype[Symbol.hasInstance].call(target, value);
  if (typeof value !== 'object' || value === null) return false;
  const record = value as Record<symbol, unknown>;
  return record[marker] === true || (record[MSN_ERROR] === true && (value as Error).name === ownClass.name);
}
