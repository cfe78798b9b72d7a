import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '@msn/errors';
import { constantSchedule } from './constant-schedule';
import { cosineSchedule } from './cosine-schedule';
import { linearSchedule } from './linear-schedule';
import { msnSchedules } from './msn-schedules';
import { warmupCosineSchedule } from './warmup-cosine-schedule';

describe('warmupCosineSchedule', () => {
  // start 0, reference 1, final 0, 10 warm-up steps, horizon 110: the scheduler's counter is step + 1.
  const schedule = warmupCosineSchedule({ startValue: 0, referenceValue: 1, finalValue: 0, warmupSteps: 10, totalSteps: 110 });

  it('warms up linearly from the first step (counter 1)', () => {
    expect(schedule(0)).toBeCloseTo(0.1, 15);
    expect(schedule(4)).toBeCloseTo(0.5, 15);
    expect(schedule(8)).toBeCloseTo(0.9, 15);
  });

  it('reaches the reference value when the counter equals warmupSteps, then follows the cosine', () => {
    expect(schedule(9)).toBe(1);
    expect(schedule(59)).toBeCloseTo(0.5, 15); // halfway through the 100 decay steps
    expect(schedule(34)).toBeCloseTo(0.5 * (1 + Math.cos(Math.PI / 4)), 15);
    expect(schedule(109)).toBeCloseTo(0, 15);
  });

  it('never goes below the final value', () => {
    const withFloor = warmupCosineSchedule({ startValue: 2e-4, referenceValue: 1e-3, finalValue: 1e-6, warmupSteps: 3, totalSteps: 20 });
    for (let step = 0; step < 40; step++) expect(withFloor(step)).toBeGreaterThanOrEqual(1e-6);
    expect(withFloor(35)).toBe(1e-6); // held past the horizon
    expect(withFloor(18)).toBeCloseTo(1e-6 + (1e-3 - 1e-6) * 0.5 * (1 + Math.cos((Math.PI * 16) / 17)), 18);
  });

  it('is a pure function of the step', () => {
    const forward = Array.from({ length: 30 }, (_, step) => schedule(step));
    const backward = Array.from({ length: 30 }, (_, index) => schedule(29 - index)).reverse();
    expect(backward).toEqual(forward);
  });

  it('rejects bad options and steps with clear errors', () => {
    expect(() => warmupCosineSchedule({ startValue: 0, referenceValue: 1, warmupSteps: 20, totalSteps: 10 })).toThrow(
      /'warmupSteps' = 20; expected <= totalSteps \(10\)/,
    );
    expect(() => warmupCosineSchedule({ startValue: Number.NaN, referenceValue: 1, warmupSteps: 1, totalSteps: 10 })).toThrow(InvalidArgumentError);
    expect(() => warmupCosineSchedule({ startValue: 0, referenceValue: 1, warmupSteps: 1.5, totalSteps: 10 })).toThrow(/'warmupSteps' = 1.5/);
    expect(() => warmupCosineSchedule({ startValue: 0, referenceValue: 1, warmupSteps: 1, totalSteps: 10, warmup: 3 } as never)).toThrow(
      /'warmup' = 3; expected no such option/,
    );
    expect(() => schedule(-1)).toThrow(/step must be an integer >= 0, got -1/);
  });
});

describe('cosineSchedule', () => {
  it('interpolates 0.04 → 0.4 with counter step + 1 and stops at the final value', () => {
    const weightDecay = cosineSchedule({ startValue: 0.04, finalValue: 0.4, totalSteps: 100 });
    expect(weightDecay(0)).toBeCloseTo(0.4 + (0.04 - 0.4) * 0.5 * (1 + Math.cos(Math.PI / 100)), 15);
    expect(weightDecay(49)).toBeCloseTo(0.22, 15);
    expect(weightDecay(99)).toBeCloseTo(0.4, 15);
    expect(weightDecay(150)).toBe(0.4); // the cosine would come back down; the clamp holds it
    for (let step = 1; step < 100; step++) expect(weightDecay(step)).toBeGreaterThanOrEqual(weightDecay(step - 1));
  });

  it('clamps decreasing schedules from below', () => {
    const decreasing = cosineSchedule({ startValue: 1, finalValue: 0.5, totalSteps: 10 });
    expect(decreasing(14)).toBe(0.5); // past the horizon: held
    expect(decreasing(4)).toBeCloseTo(0.75, 15);
  });

  it('rejects a non-positive horizon', () => {
    expect(() => cosineSchedule({ startValue: 1, finalValue: 0, totalSteps: 0 })).toThrow(/'totalSteps' = 0; expected a finite number > 0/);
  });
});

describe('linearSchedule', () => {
  it('ramps from the start value at step 0 and holds the final value after the horizon', () => {
    const momentum = linearSchedule({ startValue: 0.996, finalValue: 1, totalSteps: 12.5 });
    expect(momentum(0)).toBe(0.996);
    expect(momentum(5)).toBeCloseTo(0.996 + (5 * 0.004) / 12.5, 15);
    expect(momentum(12)).toBeCloseTo(0.996 + (12 * 0.004) / 12.5, 15);
    expect(momentum(13)).toBe(1);
    expect(momentum(1000)).toBe(1);
  });

  it('is constant when start and final agree (MSN sharpening 0.25 → 0.25)', () => {
    const sharpen = linearSchedule({ startValue: 0.25, finalValue: 0.25, totalSteps: 100 });
    expect(new Set(Array.from({ length: 120 }, (_, step) => sharpen(step)))).toEqual(new Set([0.25]));
  });
});

describe('constantSchedule', () => {
  it('returns its value at every step and validates it', () => {
    const schedule = constantSchedule(1e-3);
    expect([0, 1, 1e6].map(schedule)).toEqual([1e-3, 1e-3, 1e-3]);
    expect(() => constantSchedule(Number.POSITIVE_INFINITY)).toThrow(/'value' = Infinity/);
  });
});

describe('msnSchedules', () => {
  it('builds the reference recipe with the 1.25 horizon and integer truncations', () => {
    const schedules = msnSchedules({ stepsPerEpoch: 10, epochs: 4, warmupEpochs: 1 });
    // warm-up 10 steps from 2e-4 to 1e-3; horizon floor(1.25 · 40) = 50.
    expect(schedules.learningRate(0)).toBeCloseTo(2e-4 + 0.1 * 8e-4, 15);
    expect(schedules.learningRate(9)).toBeCloseTo(1e-3, 15);
    expect(schedules.learningRate(29)).toBeCloseTo(1e-6 + (1e-3 - 1e-6) * 0.5, 15);
    expect(schedules.weightDecay(24)).toBeCloseTo(0.22, 15);
    expect(schedules.momentum(0)).toBe(0.996);
    expect(schedules.momentum(39)).toBeCloseTo(0.996 + (39 * 0.004) / 50, 15); // last step of the run: < 1
    expect(schedules.sharpenTemperature(17)).toBe(0.25);
  });

  it('names the bad option', () => {
    expect(() => msnSchedules({ stepsPerEpoch: 0, epochs: 1 })).toThrow(/msnSchedules: invalid argument 'stepsPerEpoch' = 0/);
    expect(() => msnSchedules({ stepsPerEpoch: 10, epochs: 1, learningRate: Number.NaN })).toThrow(/'learningRate' = NaN/);
  });
});
