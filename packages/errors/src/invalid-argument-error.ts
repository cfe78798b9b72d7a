import { formatValue } from './format-value';
import { MsnError } from './msn-error';

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
export class InvalidArgumentError extends MsnError {
  static override readonly errorName = 'InvalidArgumentError';
  readonly caller: string;
  readonly argument: string;
  readonly value: unknown;
  readonly expected: string;

  constructor(details: InvalidArgumentDetails, options?: ErrorOptions) {
    super(`${details.caller}: invalid argument '${details.argument}' = ${formatValue(details.value)}; expected ${details.expected}`, options);
    this.caller = details.caller;
    this.argument = details.argument;
    this.value = details.value;
    this.expected = details.expected;
  }
}
