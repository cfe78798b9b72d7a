import { InvalidArgumentError, assertFiniteNumber, assertInteger, assertKnownKeys, assertNonNegativeFinite } from '@msn/errors';
import { assertStep, type Schedule } from './schedule';

/** Options of {@link warmupCosineSchedule} (names follow MSN's `WarmupCosineSchedule`). */
export interface WarmupCosineScheduleOptions {
  /** Value at the start of the warm-up (`start_lr`). */
  startValue: number;
  /** Value reached at the end of the warm-up, where the cosine starts (`ref_lr`). */
  referenceValue: number;
  /** Value the cosine decays to at `totalSteps` and never goes below (`final_lr`). @default 0 */
  finalValue?: number;
  /** Steps of linear warm-up (`int(warmup · iterations_per_epoch)`). */
  warmupSteps: number;
  /** Horizon of the schedule including the warm-up (`T_max` as MSN passes it: `int(1.25 · epochs · ipe)`). */
  totalSteps: number;
}

const KNOWN = ['startValue', 'referenceValue', 'finalValue', 'warmupSteps', 'totalSteps'] as const;

/**
 * Linear warm-up then cosine decay, exactly as MSN's `WarmupCosineSchedule.step()`: that scheduler is stepped
 * once before every optimiser step, so step i (0-based) uses its internal counter s = i + 1:
 *
 * - s < warmupSteps: start + (s / warmupSteps) · (reference − start)
 * - otherwise: max(final, final + (reference − final) · ½ (1 + cos(π · (s − warmupSteps) / (totalSteps − warmupSteps))))
 * - past the horizon (s > totalSteps): `finalValue` (the reference never gets there: its horizon is 1.25 × the run)
 *
 * @example
 * // MSN ViT-S/16 recipe: 15 warm-up epochs from 2e-4 to 1e-3, then cosine to 1e-6 over 1.25 × the run.
 * const lr = warmupCosineSchedule({ startValue: 2e-4, referenceValue: 1e-3, finalValue: 1e-6,
 *   warmupSteps: 15 * 1000, totalSteps: Math.floor(1.25 * 800 * 1000) });
 * @throws {InvalidArgumentError} for non-finite values, negative or fractional step counts, or
 *   `warmupSteps > totalSteps`.
 */
export function warmupCosineSchedule(options: WarmupCosineScheduleOptions): Schedule {
  const caller = 'warmupCosineSchedule';
  assertKnownKeys(caller, options, KNOWN);
  const { startValue, referenceValue, finalValue = 0, warmupSteps, totalSteps } = options;
  assertFiniteNumber(caller, 'startValue', startValue);
  assertFiniteNumber(caller, 'referenceValue', referenceValue);
  assertFiniteNumber(caller, 'finalValue', finalValue);
  assertInteger(caller, 'warmupSteps', warmupSteps, 0);
  assertInteger(caller, 'totalSteps', totalSteps, 0);
  assertNonNegativeFinite(caller, 'totalSteps', totalSteps);
  if (warmupSteps > totalSteps) {
    throw new InvalidArgumentError({ caller, argument: 'warmupSteps', value: warmupSteps, expected: `<= totalSteps (${totalSteps})` });
  }
  const decaySteps = totalSteps - warmupSteps;
  return (step) => {
    assertStep(caller, step);
    const counter = step + 1;
    if (counter < warmupSteps) {
      const progress = counter / Math.max(1, warmupSteps);
      return startValue + progress * (referenceValue - startValue);
    }
    // Held at the final value past the horizon, where the reference's cosine would turn back.
    const progress = Math.min(1, (counter - warmupSteps) / Math.max(1, decaySteps));
    return Math.max(finalValue, finalValue + (referenceValue - finalValue) * 0.5 * (1 + Math.cos(Math.PI * progress)));
  };
}
