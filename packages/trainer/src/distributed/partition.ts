// How a buffer is split between ranks, and the element-wise accumulation both backends share.
import type { DataType } from './protocol';

/** A half-open element range `[start, end)`. */
export interface ElementRange {
  start: number;
  end: number;
}

/**
 * Splits `count` elements into `parts` contiguous chunks whose sizes differ by at most one, larger ones first:
 * chunk c starts at c·⌊count/parts⌋ + min(c, count mod parts). Both backends use this split, which is what
 * makes their results bitwise identical.
 */
export function chunkRanges(count: number, parts: number): ElementRange[] {
  const base = Math.floor(count / parts);
  const remainder = count % parts;
  const ranges: ElementRange[] = [];
  let start = 0;
  for (let part = 0; part < parts; part++) {
    const end = start + base + (part < remainder ? 1 : 0);
    ranges.push({ start, end });
    start = end;
  }
  return ranges;
}

/** Splits a range into pieces of at most `pieceLength` elements (one empty piece for an empty range). */
export function pieces(range: ElementRange, pieceLength: number): ElementRange[] {
  if (range.end <= range.start) return [{ start: range.start, end: range.start }];
  const result: ElementRange[] = [];
  for (let start = range.start; start < range.end; start += pieceLength) {
    result.push({ start, end: Math.min(range.end, start + pieceLength) });
  }
  return result;
}

/** A typed view of `length` elements of `dtype` at `byteOffset`. */
export function typedView(
  buffer: ArrayBufferLike,
  dtype: DataType,
  byteOffset: number,
  length: number,
): Float32Array | Int32Array | Uint8Array {
  if (dtype === 'float32') return new Float32Array(buffer, byteOffset, length);
  if (dtype === 'int32') return new Int32Array(buffer, byteOffset, length);
  return new Uint8Array(buffer, byteOffset, length);
}

/**
 * `target[i] = partial[i] + target[i]`: adds the partial sum received from earlier ranks to this rank's values.
 * Every chunk c is summed as (((x_c + x_{c+1}) + x_{c+2}) + …), ranks taken cyclically from c; float32 typed
 * arrays round each addition to float32 (exact: a double holds the sum of two floats), int32 arrays wrap.
 */
export function accumulate(target: Float32Array | Int32Array, partial: Float32Array | Int32Array): void {
  // One loop per element type keeps each monomorphic (about a third faster in V8 than a shared loop).
  if (target instanceof Float32Array) accumulateFloat32(target, partial as Float32Array);
  else accumulateInt32(target, partial as Int32Array);
}

function accumulateFloat32(target: Float32Array, partial: Float32Array): void {
  for (let index = 0; index < target.length; index++) target[index] = partial[index] + target[index];
}

function accumulateInt32(target: Int32Array, partial: Int32Array): void {
  for (let index = 0; index < target.length; index++) target[index] = partial[index] + target[index];
}

/** Divides every element by `divisor` in place (float32 rounding on store), for the `mean` reduction. */
export function divideInPlace(values: Float32Array, divisor: number): void {
  for (let index = 0; index < values.length; index++) values[index] = values[index] / divisor;
}
