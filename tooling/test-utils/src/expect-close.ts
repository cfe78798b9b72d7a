// Elementwise comparison with the fixtures README tolerance, reporting the share of the budget used.
import * as tf from '@tensorflow/tfjs-core';
import type { FixtureTensor } from './fixtures';

/** |got − want| ≤ relative·|want| + absoluteOfMax·max|want| (+ extraAbsolute for listed elements). */
export interface Tolerance {
  relative: number;
  absoluteOfMax: number;
}

/** The tolerance of the fixtures README, used by every fixture-backed test. */
export const FIXTURE_TOLERANCE: Tolerance = { relative: 1e-4, absoluteOfMax: 1e-5 };

export interface CloseOptions {
  /** Names what is compared in failure messages, e.g. `loss/msn-default.json gradAnchors`. */
  label: string;
  tolerance: Tolerance;
  /** Extra absolute allowance per flat element index (the `looseTensors` of `step/`). */
  extraAbsolute?: (index: number) => number;
}

type Numbers = ArrayLike<number>;

function valuesOf(value: Numbers | number | tf.Tensor | FixtureTensor): { data: Numbers; shape?: number[] } {
  if (typeof value === 'number') return { data: [value] };
  if (value instanceof tf.Tensor) return { data: readSync(value), shape: value.shape };
  if ('data' in value && 'shape' in value && !ArrayBuffer.isView(value)) {
    return { data: (value as FixtureTensor).data, shape: (value as FixtureTensor).shape };
  }
  return { data: value as Numbers };
}

// webgpu in Node has no synchronous read (tfjs reads through an OffscreenCanvas): name the async helper instead.
function readSync(tensor: tf.Tensor): ArrayLike<number> {
  try {
    return tensor.dataSync();
  } catch (error) {
    throw new Error(`expectClose: tensor [${tensor.shape}] cannot be read synchronously on backend '${tf.getBackend()}'; use await expectTensorClose(…)`, {
      cause: error,
    });
  }
}

/**
 * {@link expectClose} for a tensor read with `await data()`, which every backend supports (webgpu included).
 * Returns the largest share of the budget used.
 */
export async function expectTensorClose(got: tf.Tensor, want: Numbers | number | FixtureTensor | tf.Tensor, options: CloseOptions): Promise<number> {
  const expected: Numbers | number | FixtureTensor =
    want instanceof tf.Tensor ? { shape: [...want.shape], dtype: 'float64', data: Array.from(await want.data()) } : want;
  const wantShape = typeof expected === 'object' && 'shape' in expected ? (expected as FixtureTensor).shape : undefined;
  if (wantShape !== undefined && wantShape.join(',') !== got.shape.join(',')) {
    throw new Error(`${options.label}: shape [${got.shape}] differs from expected [${wantShape}]`);
  }
  return expectClose(await got.data(), expected, options);
}

/**
 * Fails with file, tensor, index, got, want, allowed error and budget share on the worst element.
 * Returns the largest share of the budget used (0…1), useful for reporting margins.
 */
export function expectClose(got: Numbers | number | tf.Tensor, want: Numbers | number | FixtureTensor | tf.Tensor, options: CloseOptions): number {
  const actual = valuesOf(got);
  const expected = valuesOf(want);
  if (actual.shape && expected.shape && actual.shape.join(',') !== expected.shape.join(',')) {
    throw new Error(`${options.label}: shape [${actual.shape}] differs from expected [${expected.shape}]`);
  }
  if (actual.data.length !== expected.data.length) {
    throw new Error(`${options.label}: ${actual.data.length} values, expected ${expected.data.length}`);
  }
  let maxAbsWant = 0;
  for (let i = 0; i < expected.data.length; i++) maxAbsWant = Math.max(maxAbsWant, Math.abs(expected.data[i]!));
  let worstShare = 0;
  let worstIndex = -1;
  for (let i = 0; i < expected.data.length; i++) {
    const wantValue = expected.data[i]!;
    const gotValue = actual.data[i]!;
    const allowed = options.tolerance.relative * Math.abs(wantValue) + options.tolerance.absoluteOfMax * maxAbsWant + (options.extraAbsolute?.(i) ?? 0);
    const error = Math.abs(gotValue - wantValue);
    const share = Number.isNaN(error) ? Infinity : allowed === 0 ? (error === 0 ? 0 : Infinity) : error / allowed;
    if (share > worstShare) {
      worstShare = share;
      worstIndex = i;
    }
  }
  if (worstShare > 1) {
    const i = worstIndex;
    const wantValue = expected.data[i]!;
    const allowed = options.tolerance.relative * Math.abs(wantValue) + options.tolerance.absoluteOfMax * maxAbsWant + (options.extraAbsolute?.(i) ?? 0);
    throw new Error(
      `${options.label}: element ${i} got ${actual.data[i]} want ${wantValue}; ` +
        `|error| ${Math.abs(actual.data[i]! - wantValue)} > allowed ${allowed} ` +
        `(${(worstShare * 100).toFixed(1)} % of the budget)`,
    );
  }
  return worstShare;
}
