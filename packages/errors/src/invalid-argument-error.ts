import { formatValue } from './format-value';
import { MSN_ERROR, hasErrorMarker } from './msn-error-marker';

const marker = Symbol.for('@msn/errors.InvalidArgumentError');

export interface InvalidArgumentDetails {
  caller: string;
  argument: string;
  value: unknown;
  expected: string;
}

/**
 * An argument outside its allowed range or of the wrong kind.
 *
 * @example
 * throw new InvalidArgumentError({ caller: 'MSNLoss', argument: 'temperature', value: -1, expected: 'a finite number > 0' });
 * // MSNLoss: invalid argument 'temperature' = -1; expected a finite number > 0
 */
export class InvalidArgumentError extends Error {
  readonly [MSN_ERROR] = true;
  readonly [marker] = true;
  readonly caller: string;
  readonly argument: string;
  readonly value: unknown;
  readonly expected: string;

  constructor(details: InvalidArgumentDetails, options?: ErrorOptions) {
    super(
      `${details.caller}: invalid argument '${details.argument}' = ${formatValue(details.value)}; expected ${details.expected}`,
      options,
    );
    this.name = 'InvalidArgumentError';
    this.caller = details.caller;
    this.argument = details.argument;
    this.value = details.value;
    this.expected = details.expected;
  }

  static [Symbol.hasInstance](value: unknown): value is InvalidArgumentError {
    return hasErrorMarker(this, InvalidArgumentError, value, marker);
  }
}
