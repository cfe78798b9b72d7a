import { assertFiniteNumber } from '@msn/errors';
import { assertStep, type Schedule } from './schedule';

/**
 * A schedule that always returns `value` (e.g. the fmnist-tiny protocol's constant lr and weight decay).
 *
 * @example const learningRate = constantSchedule(1e-3); learningRate(123); // 0.001
 * @throws {InvalidArgumentError} when `value` is not a finite number.
 */
export function constantSchedule(value: number): Schedule {
  assertFiniteNumber('constantSchedule', 'value', value);
  return (step) => {
    assertStep('constantSchedule', step);
    return value;
  };
}
