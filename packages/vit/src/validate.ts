// Argument checks shared by the package: each throws an error naming caller, argument, value and expectation.
import type * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError, ShapeError } from '@msn/errors';

export function assertInteger(caller: string, argument: string, value: unknown, minimum: number): asserts value is number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < minimum) {
    throw new InvalidArgumentError({ caller, argument, value, expected: `an integer >= ${minimum}` });
  }
}

export function assertFiniteInRange(
  caller: string,
  argument: string,
  value: unknown,
  range: { minimum: number; maximum: number; maximumInclusive?: boolean; minimumInclusive?: boolean },
): asserts value is number {
  const { minimum, maximum, minimumInclusive = true, maximumInclusive = true } = range;
  const ok =
    typeof value === 'number' &&
    Number.isFinite(value) &&
    (minimumInclusive ? value >= minimum : value > minimum) &&
    (maximumInclusive ? value <= maximum : value < maximum);
  if (!ok) {
    const low = minimumInclusive ? `>= ${minimum}` : `> ${minimum}`;
    const high = maximumInclusive ? `<= ${maximum}` : `< ${maximum}`;
    throw new InvalidArgumentError({ caller, argument, value, expected: `a finite number ${low} and ${high}` });
  }
}

export function assertPositiveFinite(caller: string, argument: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new InvalidArgumentError({ caller, argument, value, expected: 'a finite number > 0' });
  }
}

export function assertBoolean(caller: string, argument: string, value: unknown): asserts value is boolean {
  if (typeof value !== 'boolean') {
    throw new InvalidArgumentError({ caller, argument, value, expected: 'true or false' });
  }
}

export function assertOneOf<T extends string>(
  caller: string,
  argument: string,
  value: unknown,
  allowed: readonly T[],
): asserts value is T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw new InvalidArgumentError({
      caller,
      argument,
      value,
      expected: `one of ${allowed.map((entry) => JSON.stringify(entry)).join(', ')}`,
    });
  }
}

export function assertRank(caller: string, argument: string, tensor: tf.Tensor, rank: number, layout: string): void {
  if (tensor.rank !== rank) {
    throw new ShapeError(`${caller}: '${argument}' must be a ${rank}-D ${layout} tensor, got shape [${tensor.shape}]`);
  }
}

export function assertDtype(caller: string, argument: string, tensor: tf.Tensor, dtype: tf.DataType): void {
  if (tensor.dtype !== dtype) {
    throw new InvalidArgumentError({ caller, argument, value: `${tensor.dtype} tensor`, expected: `a ${dtype} tensor` });
  }
}

/** Rejects option keys the caller does not know, so a typo (`maskratio`) is an error rather than a silent default. */
export function assertKnownKeys(caller: string, argument: string, value: object, known: readonly string[]): void {
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) {
      throw new InvalidArgumentError({
        caller,
        argument: `${argument}.${key}`,
        value: (value as Record<string, unknown>)[key],
        expected: `no such option; known options are ${known.join(', ')}`,
      });
    }
  }
}
