import { assertFiniteNumber, assertInteger, assertKnownKeys, assertNonNegativeFinite, assertPositiveFinite } from '@msn/errors';
import { cosineSchedule } from './cosine-schedule';
import { linearSchedule } from './linear-schedule';
import type { Schedule } from './schedule';
import { warmupCosineSchedule } from './warmup-cosine-schedule';

/** Options of {@link msnSchedules}; defaults are the MSN reference recipe (`configs/pretrain/msn_vits16.yaml`). */
export interface MSNSchedulesOptions {
  /** Optimiser steps per epoch (`ipe`, the loader's length). */
  stepsPerEpoch: number;
  /** Epochs of the run. */
  epochs: number;
  /** Learning rate at the start of the warm-up (`start_lr`). @default 0.0002 */
  startLearningRate?: number;
  /** Learning rate after the warm-up (`lr`). @default 0.001 */
  learningRate?: number;
  /** Floor of the cosine decay (`final_lr`). @default 1e-6 */
  finalLearningRate?: number;
  /** Warm-up length in epochs (`warmup`). @default 15 */
  warmupEpochs?: number;
  /** Weight decay at step 0 (`weight_decay`). @default 0.04 */
  weightDecay?: number;
  /** Weight decay at the horizon (`final_weight_decay`). @default 0.4 */
  finalWeightDecay?: number;
  /** EMA momentum of the target encoder at step 0. @default 0.996 */
  startMomentum?: number;
  /** EMA momentum at the horizon. @default 1 */
  finalMomentum?: number;
  /** Target-sharpening temperature at step 0 (`start_sharpen`). @default 0.25 */
  startSharpenTemperature?: number;
  /** Target-sharpening temperature at the horizon (`final_sharpen`). @default 0.25 */
  finalSharpenTemperature?: number;
  /**
   * Every MSN schedule runs over `horizonScale` × the run, so none reaches its final value during training
   * (the reference hard-codes 1.25). @default 1.25
   */
  horizonScale?: number;
}

/** The four schedules of an MSN run, each a pure function of the 0-based step. */
export interface MSNSchedules {
  learningRate: Schedule;
  weightDecay: Schedule;
  momentum: Schedule;
  sharpenTemperature: Schedule;
}

const KNOWN = [
  'stepsPerEpoch',
  'epochs',
  'startLearningRate',
  'learningRate',
  'finalLearningRate',
  'warmupEpochs',
  'weightDecay',
  'finalWeightDecay',
  'startMomentum',
  'finalMomentum',
  'startSharpenTemperature',
  'finalSharpenTemperature',
  'horizonScale',
] as const;

/**
 * The schedules of MSN's `msn_train.py`: warm-up + cosine learning rate, cosine weight decay (0.04 → 0.4),
 * linear EMA momentum (0.996 → 1) and linear sharpening temperature (0.25 → 0.25, i.e. fixed), all over
 * `horizonScale · epochs · stepsPerEpoch` steps with the reference's integer truncations.
 *
 * @example
 * const schedules = msnSchedules({ stepsPerEpoch: loader.length, epochs: 100 });
 * optimizer.learningRate = schedules.learningRate(step);
 * @throws {InvalidArgumentError} for a non-positive step count or epoch count, or non-finite values.
 */
export function msnSchedules(options: MSNSchedulesOptions): MSNSchedules {
  const caller = 'msnSchedules';
  assertKnownKeys(caller, options, KNOWN);
  const {
    stepsPerEpoch,
    epochs,
    startLearningRate = 0.0002,
    learningRate = 0.001,
    finalLearningRate = 1e-6,
    warmupEpochs = 15,
    weightDecay = 0.04,
    finalWeightDecay = 0.4,
    startMomentum = 0.996,
    finalMomentum = 1,
    startSharpenTemperature = 0.25,
    finalSharpenTemperature = 0.25,
    horizonScale = 1.25,
  } = options;
  assertInteger(caller, 'stepsPerEpoch', stepsPerEpoch, 1);
  assertPositiveFinite(caller, 'epochs', epochs);
  assertNonNegativeFinite(caller, 'warmupEpochs', warmupEpochs);
  assertPositiveFinite(caller, 'horizonScale', horizonScale);
  for (const [name, value] of Object.entries({
    startLearningRate,
    learningRate,
    finalLearningRate,
    weightDecay,
    finalWeightDecay,
    startMomentum,
    finalMomentum,
    startSharpenTemperature,
    finalSharpenTemperature,
  })) {
    assertFiniteNumber(caller, name, value);
  }
  const horizon = stepsPerEpoch * epochs * horizonScale;
  const truncatedHorizon = Math.floor(horizon);
  return {
    learningRate: warmupCosineSchedule({
      startValue: startLearningRate,
      referenceValue: learningRate,
      finalValue: finalLearningRate,
      warmupSteps: Math.min(Math.floor(warmupEpochs * stepsPerEpoch), truncatedHorizon),
      totalSteps: truncatedHorizon,
    }),
    weightDecay: cosineSchedule({ startValue: weightDecay, finalValue: finalWeightDecay, totalSteps: Math.max(1, truncatedHorizon) }),
    momentum: linearSchedule({ startValue: startMomentum, finalValue: finalMomentum, totalSteps: horizon }),
    sharpenTemperature: linearSchedule({ startValue: startSharpenTemperature, finalValue: finalSharpenTemperature, totalSteps: horizon }),
  };
}
