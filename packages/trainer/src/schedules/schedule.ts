// The shape every schedule shares.

/**
 * A value as a pure function of the optimisation step: `step` is the 0-based index of the step about to be taken
 * (0 for the first step). Schedules keep no state, so a resumed run recomputes the same values from the step count.
 */
export type Schedule = (step: number) => number;

/** Throws unless `step` is a non-negative integer (every schedule calls it). */
export function assertStep(caller: string, step: number): void {
  if (typeof step !== 'number' || !Number.isSafeInteger(step) || step < 0) {
    throw new RangeError(`${caller}: step must be an integer >= 0, got ${String(step)}`);
  }
}
