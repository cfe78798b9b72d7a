// @file The base of every @msn/* error class: one place for the markers that make `instanceof` work across copies.
import { MSN_ERROR, isMsnError } from './msn-error-marker';

/** The marker of one error class, shared by every installed copy of it (vercel/ai's `Symbol.for` pattern). */
function classMarker(errorName: string): symbol {
  return Symbol.for(`@msn/errors.${errorName}`);
}

/**
 * Base of the errors @msn/* packages throw. Each subclass declares `static readonly errorName`; `instanceof` then
 * asks for that class's `Symbol.for('@msn/errors.<Name>')` marker instead of the prototype chain, because two
 * installed copies of a package (ESM and CJS, or two versions) define two classes. Errors from packages that
 * carried their own copies have only the shared `msn.error` marker, so they match by `name`.
 *
 * @example
 * export class ShapeError extends MsnError {
 *   static readonly errorName = 'ShapeError';
 * }
 */
export abstract class MsnError extends Error {
  /** The class's name as thrown; also its marker's key. Must be declared by every concrete subclass. */
  static readonly errorName: string = 'MsnError';
  readonly [MSN_ERROR] = true;

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    const errorName = (new.target as typeof MsnError).errorName;
    this.name = errorName;
    (this as unknown as Record<symbol, boolean>)[classMarker(errorName)] = true;
  }

  static [Symbol.hasInstance]<T>(this: abstract new (...args: never[]) => T, value: unknown): value is T {
    // biome-ignore lint/complexity/noThisInStatic: `this` is the class `instanceof` asks about, often a subclass.
    return isInstanceOf(this, value);
  }
}

/** `value instanceof errorClass`, by the class's marker (see {@link MsnError}). */
function isInstanceOf(errorClass: abstract new (...args: never[]) => unknown, value: unknown): boolean {
  // A subclass that does not declare its own errorName (e.g. an app's refinement) gets plain prototype instanceof.
  if (!Object.hasOwn(errorClass, 'errorName')) return Function.prototype[Symbol.hasInstance].call(errorClass, value);
  if (typeof value !== 'object' || value === null) return false;
  if (errorClass === MsnError) return isMsnError(value);
  const { errorName } = errorClass as unknown as typeof MsnError;
  const record = value as Record<symbol, unknown>;
  return record[classMarker(errorName)] === true || (record[MSN_ERROR] === true && (value as Error).name === errorName);
}
