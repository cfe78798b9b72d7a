// Argument checks shared by the package; each throws InvalidArgumentError naming caller, argument and value.
import { InvalidArgumentError } from '@msn/errors';

export function assertInteger(caller: string, argument: string, value: unknown, minimum: number): asserts value is number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < minimum) {
    throw new InvalidArgumentError({ caller, argument, value, expected: `an integer >= ${minimum}` });
  }
}

export function assertNumberInRange(
  caller: string,
  argument: string,
  value: unknown,
  minimum: number,
  maximum: number,
): asserts value is number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < minimum || value > maximum) {
    throw new InvalidArgumentError({ caller, argument, value, expected: `a number in [${minimum}, ${maximum}]` });
  }
}

export function assertProbability(caller: string, argument: string, value: unknown): asserts value is number {
  assertNumberInRange(caller, argument, value, 0, 1);
}

/** A `[low, high]` pair with minimum <= low <= high <= maximum. */
export function assertRange(
  caller: string,
  argument: string,
  value: unknown,
  minimum: number,
  maximum: number,
): asserts value is readonly [number, number] {
  const ok =
    Array.isArray(value) &&
    value.length === 2 &&
    value.every((entry) => typeof entry === 'number' && Number.isFinite(entry)) &&
    value[0] >= minimum &&
    value[0] <= value[1] &&
    value[1] <= maximum;
  if (!ok) {
    throw new InvalidArgumentError({
      caller,
      argument,
      value,
      expected: `a pair [low, high] with ${minimum} <= low <= high <= ${maximum}`,
    });
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

export function assertString(caller: string, argument: string, value: unknown): asserts value is string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new InvalidArgumentError({ caller, argument, value, expected: 'a non-empty string' });
  }
}

/** A per-channel triple of finite numbers; `positive` additionally requires each > 0. */
export function assertTriple(
  caller: string,
  argument: string,
  value: unknown,
  positive: boolean,
): asserts value is readonly [number, number, number] {
  const ok =
    Array.isArray(value) &&
    value.length === 3 &&
    value.every((entry) => typeof entry === 'number' && Number.isFinite(entry) && (!positive || entry > 0));
  if (!ok) {
    throw new InvalidArgumentError({
      caller,
      argument,
      value,
      expected: positive ? 'three finite numbers > 0 (one per channel)' : 'three finite numbers (one per channel)',
    });
  }
}

/** Rejects option keys the caller does not know, so a typo (`focalView`) is not silently ignored. */
export function assertKnownKeys(caller: string, options: object, known: readonly string[]): void {
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) {
      throw new InvalidArgumentError({
        caller,
        argument: key,
        value: (options as Record<string, unknown>)[key],
        expected: `no such option; known options are ${known.join(', ')}`,
      });
    }
  }
}

/** Class names must be distinct non-empty strings. */
export function assertClasses(caller: string, classes: readonly string[]): void {
  const valid =
    Array.isArray(classes) &&
    classes.length > 0 &&
    classes.every((name) => typeof name === 'string' && name.length > 0) &&
    new Set(classes).size === classes.length;
  if (!valid) {
    throw new InvalidArgumentError({ caller, argument: 'classes', value: classes, expected: 'distinct non-empty strings' });
  }
}
