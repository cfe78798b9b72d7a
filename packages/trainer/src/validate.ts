// Argument checks shared by the package: each throws InvalidArgumentError naming caller, argument, value, expectation.
import { InvalidArgumentError } from '@msn/errors';

export function assertFiniteNumber(caller: string, argument: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new InvalidArgumentError({ caller, argument, value, expected: 'a finite number' });
  }
}

export function assertPositive(caller: string, argument: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new InvalidArgumentError({ caller, argument, value, expected: 'a finite number > 0' });
  }
}

export function assertNonNegative(caller: string, argument: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new InvalidArgumentError({ caller, argument, value, expected: 'a finite number >= 0' });
  }
}

export function assertInRange(
  caller: string,
  argument: string,
  value: unknown,
  low: number,
  high: number,
  { lowInclusive = true, highInclusive = true } = {},
): asserts value is number {
  const ok =
    typeof value === 'number' &&
    Number.isFinite(value) &&
    (lowInclusive ? value >= low : value > low) &&
    (highInclusive ? value <= high : value < high);
  if (!ok) {
    const expected = `a number in ${lowInclusive ? '[' : '('}${low}, ${high}${highInclusive ? ']' : ')'}`;
    throw new InvalidArgumentError({ caller, argument, value, expected });
  }
}

export function assertInteger(caller: string, argument: string, value: unknown, minimum = 0): asserts value is number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < minimum) {
    throw new InvalidArgumentError({ caller, argument, value, expected: `an integer >= ${minimum}` });
  }
}

/** Rejects option keys that are not known, so a typo (`learningrate`) fails loudly instead of being ignored. */
export function assertKnownKeys(caller: string, options: object, known: readonly string[]): void {
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) {
      throw new InvalidArgumentError({
        caller,
        argument: key,
        value: (options as Record<string, unknown>)[key],
        expected: `no such option; valid options are ${known.join(', ')}`,
      });
    }
  }
}
