import { assertFiniteNumber, assertKnownKeys, assertPositiveFinite } from '@msn/errors';
import { assertStep, type Schedule } from './schedule';

/** Options of {@link cosineSchedule} (names follow MSN's `CosineWDSchedule`). */
export interface CosineScheduleOptions {
  /** Value at step 0 (`ref_wd`). */
  startValue: number;
  /** Value reached at `totalSteps` (`final_wd`); the schedule never passes it. */
  finalValue: number;
  /** Horizon (`T_max`; MSN passes `int(1.25 · epochs · ipe)`). */
  totalSteps: number;
}

const KNOWN = ['startValue', 'finalValue', 'totalSteps'] as const;

/**
 * Cosine interpolation from `startValue` to `finalValue`, as MSN's weight-decay schedule (0.04 → 0.4): with
 * s = step + 1 (the scheduler is stepped before each optimiser step),
 * final + (start − final) · ½ (1 + cos(π s / totalSteps)), clamped so it never overshoots `finalValue`, and held
 * at `finalValue` once s ≥ totalSteps.
 *
 * @example const weightDecay = cosineSchedule({ startValue: 0.04, finalValue: 0.4, totalSteps: 10_000 });
 * @throws {InvalidArgumentError} for non-finite values or a horizon that is not > 0.
 */
export function cosineSchedule(options: CosineScheduleOptions): Schedule {
  const caller = 'cosineSchedule';
  assertKnownKeys(caller, options, KNOWN);
  const { startValue, finalValue, totalSteps } = options;
  assertFiniteNumber(caller, 'startValue', startValue);
  assertFiniteNumber(caller, 'finalValue', finalValue);
  assertPositiveFinite(caller, 'totalSteps', totalSteps);
  return (step) => {
    assertStep(caller, step);
    // Held at the final value past the horizon, where the reference's cosine would turn back (it never gets
    // there: its horizon is 1.25 × the run).
    const progress = Math.min(1, (step + 1) / totalSteps);
    const value = finalValue + (startValue - finalValue) * 0.5 * (1 + Math.cos(Math.PI * progress));
    return finalValue <= startValue ? Math.max(finalValue, value) : Math.min(finalValue, value);
  };
}
