// @file The argument checks every package runs on its public inputs: each throws an InvalidArgumentError that names
// the caller, the argument, its value and what was expected.
import { InvalidArgumentError } from './invalid-argument-error';

export function assertFiniteNumber(caller: string, argument: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new InvalidArgumentError({ caller, argument, value, expected: 'a finite number' });
  }
}

export function assertPositiveFinite(caller: string, argument: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new InvalidArgumentError({ caller, argument, value, expected: 'a finite number > 0' });
  }
}

export function assertNonNegativeFinite(caller: string, argument: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new InvalidArgumentError({ caller, argument, value, expected: 'a finite number >= 0' });
  }
}

/** A safe integer >= `minimum` (0 unless given). */
export function assertInteger(caller: string, argument: string, value: unknown, minimum = 0): asserts value is number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < minimum) {
    throw new InvalidArgumentError({ caller, argument, value, expected: `an integer >= ${minimum}` });
  }
}

/** Which ends of an {@link assertInRange} interval are allowed (both unless said). */
export interface RangeEnds {
  lowInclusive?: boolean;
  highInclusive?: boolean;
}

/** A finite number in the interval from `low` to `high`, written `[low, high]`, `(low, high]`, … in the message. */
export function assertInRange(
  caller: string,
  argument: string,
  value: unknown,
  low: number,
  high: number,
  { lowInclusive = true, highInclusive = true }: RangeEnds = {},
): asserts value is number {
  const ok =
    typeof value === 'number' && Number.isFinite(value) && (lowInclusive ? value >= low : value > low) && (highInclusive ? value <= high : value < high);
  if (!ok) {
    const expected = `a number in ${lowInclusive ? '[' : '('}${low}, ${high}${highInclusive ? ']' : ')'}`;
    throw new InvalidArgumentError({ caller, argument, value, expected });
  }
}

export function assertProbability(caller: string, argument: string, value: unknown): asserts value is number {
  assertInRange(caller, argument, value, 0, 1);
}

export function assertBoolean(caller: string, argument: string, value: unknown): asserts value is boolean {
  if (typeof value !== 'boolean') {
    throw new InvalidArgumentError({ caller, argument, value, expected: 'true or false' });
  }
}

export function assertString(caller: string, argument: string, value: unknown): asserts value is string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new InvalidArgumentError({ caller, argument, value, expected: 'a non-empty string' });
  }
}

export function assertOneOf<T extends string>(caller: string, argument: string, value: unknown, allowed: readonly T[]): asserts value is T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    const expected = `one of ${allowed.map((entry) => JSON.stringify(entry)).join(', ')}`;
    throw new InvalidArgumentError({ caller, argument, value, expected });
  }
}

/**
 * Rejects option keys the caller does not know, so a typo (`learningrate`) fails loudly instead of being ignored.
 * `within` names the options object when it is itself an argument (`'config'` → `config.maskratio`).
 */
export function assertKnownKeys(caller: string, options: object, known: readonly string[], within?: string): void {
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) {
      throw new InvalidArgumentError({
        caller,
        argument: within === undefined ? key : `${within}.${key}`,
        value: (options as Record<string, unknown>)[key],
        expected: `no such option; known options are ${known.join(', ')}`,
      });
    }
  }
}

/**
 * An options object (not a primitive, not null) with only `known` keys; `expected` sketches it for the message,
 * e.g. `'{ batchSize, … }'`.
 */
export function assertOptions(caller: string, options: unknown, known: readonly string[], expected: string): asserts options is object {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidArgumentError({ caller, argument: 'options', value: options, expected });
  }
  assertKnownKeys(caller, options, known);
}
