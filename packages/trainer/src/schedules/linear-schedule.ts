import { assertFiniteNumber, assertKnownKeys, assertPositiveFinite } from '@msn/errors';
import { assertStep, type Schedule } from './schedule';

/** Options of {@link linearSchedule}. */
export interface LinearScheduleOptions {
  /** Value at step 0. */
  startValue: number;
  /** Value at `totalSteps` and after. */
  finalValue: number;
  /** Steps over which the value moves; may be fractional (MSN uses `ipe · epochs · 1.25`). */
  totalSteps: number;
}

const KNOWN = ['startValue', 'finalValue', 'totalSteps'] as const;

/**
 * Linear ramp start + step · (final − start) / totalSteps, held at `finalValue` afterwards. This is MSN's
 * momentum schedule (0.996 → 1) and target-sharpening schedule (`start_sharpen` → `final_sharpen`, 0.25 → 0.25 in
 * the published configs, i.e. constant): both are generators whose i-th value (i = 0 for the first step) is
 * start + i · (final − start) / (ipe · epochs · 1.25).
 *
 * @example const momentum = linearSchedule({ startValue: 0.996, finalValue: 1, totalSteps: 1.25 * 300 * 1000 });
 * @throws {InvalidArgumentError} for non-finite values or a horizon that is not > 0.
 */
export function linearSchedule(options: LinearScheduleOptions): Schedule {
  const caller = 'linearSchedule';
  assertKnownKeys(caller, options, KNOWN);
  const { startValue, finalValue, totalSteps } = options;
  assertFiniteNumber(caller, 'startValue', startValue);
  assertFiniteNumber(caller, 'finalValue', finalValue);
  assertPositiveFinite(caller, 'totalSteps', totalSteps);
  const increment = (finalValue - startValue) / totalSteps;
  return (step) => {
    assertStep(caller, step);
    return step >= totalSteps ? finalValue : startValue + increment * step;
  };
}
