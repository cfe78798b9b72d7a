// Argument checks only the data package runs (crop ranges, per-channel triples, class names); the general ones come
// from @msn/errors.
import { InvalidArgumentError } from '@msn/errors';

export function assertRange(caller: string, argument: string, value: unknown, minimum: number, maximum: number): asserts value is readonly [number, number] {
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

export function assertTriple(caller: string, argument: string, value: unknown, positive: boolean): asserts value is readonly [number, number, number] {
  const ok =
    Array.isArray(value) && value.length === 3 && value.every((entry) => typeof entry === 'number' && Number.isFinite(entry) && (!positive || entry > 0));
  if (!ok) {
    throw new InvalidArgumentError({
      caller,
      argument,
      value,
      expected: positive ? 'three finite numbers > 0 (one per channel)' : 'three finite numbers (one per channel)',
    });
  }
}

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
