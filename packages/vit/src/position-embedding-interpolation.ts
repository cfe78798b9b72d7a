// Resampling of the position table to another patch grid, exactly as the reference (MSN/lightly) does it.
import * as tf from '@tensorflow/tfjs-core';
import { ShapeError, assertInteger, assertRank } from '@msn/errors';

// torch's antialiased bicubic uses a = −0.5 (PIL's), not the −0.75 of its plain bicubic.
const CUBIC_A = -0.5;

function cubic(x: number): number {
  const distance = Math.abs(x);
  if (distance < 1) return ((CUBIC_A + 2) * distance - (CUBIC_A + 3)) * distance * distance + 1;
  if (distance < 2) return ((CUBIC_A * distance - 5 * CUBIC_A) * distance + 8 * CUBIC_A) * distance - 4 * CUBIC_A;
  return 0;
}

/**
 * Weights `[outputSize × inputSize]` (row-major, float64) of torch's `interpolate(mode="bicubic",
 * align_corners=False, antialias=True)` along one axis, for source step `scale` = 1 / scale_factor.
 */
export function antialiasedBicubicWeights(inputSize: number, outputSize: number, scale: number): Float64Array {
  const weights = new Float64Array(outputSize * inputSize);
  const stretch = Math.max(scale, 1);
  const support = 2 * stretch;
  for (let output = 0; output < outputSize; output++) {
    const center = scale * (output + 0.5);
    const first = Math.max(Math.trunc(center - support + 0.5), 0);
    const end = Math.min(Math.trunc(center + support + 0.5), inputSize);
    let total = 0;
    for (let input = first; input < end; input++) {
      const weight = cubic((input - center + 0.5) / stretch);
      weights[output * inputSize + input] = weight;
      total += weight;
    }
    if (total !== 0) {
      for (let input = first; input < end; input++) weights[output * inputSize + input]! /= total;
    }
  }
  return weights;
}

function squareSide(count: number): number | undefined {
  const side = Math.round(Math.sqrt(count));
  return side * side === count ? side : undefined;
}

/**
 * The `[numPatches × storedPatches]` matrix (float32, row-major) that maps the stored patch rows of a position
 * table to `numPatches` rows: the Kronecker product of the per-axis antialiased bicubic weights.
 *
 * As in MSN's `interpolate_pos_encoding`, the grid is resampled with scale factor √(numPatches/storedPatches)
 * (not with a target size), so the source step is 1/√(numPatches/storedPatches) and the output side is
 * floor(g·√(numPatches/storedPatches)), which must equal √numPatches.
 *
 * @throws {ShapeError} when either count is not a perfect square or the scale factor does not land on √numPatches.
 */
export function positionInterpolationMatrix(storedPatches: number, numPatches: number): Float32Array {
  const caller = 'positionInterpolationMatrix';
  assertInteger(caller, 'storedPatches', storedPatches, 1);
  assertInteger(caller, 'numPatches', numPatches, 1);
  const storedSide = squareSide(storedPatches);
  const side = squareSide(numPatches);
  if (storedSide === undefined || side === undefined) {
    throw new ShapeError(`${caller}: position interpolation needs square patch grids, got ${storedPatches} stored and ${numPatches} requested patches`);
  }
  // Float64 like Python's math.sqrt and torch's size rule floor(input · scale_factor).
  const scaleFactor = Math.sqrt(numPatches / storedPatches);
  const outputSide = Math.floor(storedSide * scaleFactor);
  if (outputSide !== side) {
    throw new ShapeError(`${caller}: scale factor √(${numPatches}/${storedPatches}) gives a ${outputSide}×${outputSide} grid, not ${side}×${side}`);
  }
  const axis = antialiasedBicubicWeights(storedSide, side, 1 / scaleFactor);
  const matrix = new Float32Array(numPatches * storedPatches);
  for (let outRow = 0; outRow < side; outRow++) {
    for (let outColumn = 0; outColumn < side; outColumn++) {
      const target = (outRow * side + outColumn) * storedPatches;
      for (let row = 0; row < storedSide; row++) {
        const rowWeight = axis[outRow * storedSide + row]!;
        if (rowWeight === 0) continue;
        for (let column = 0; column < storedSide; column++) {
          matrix[target + row * storedSide + column] = rowWeight * axis[outColumn * storedSide + column]!;
        }
      }
    }
  }
  return matrix;
}

/**
 * Resamples a position table `[1, 1 + N, D]` (class row first) to `numPatches` patch rows, returning
 * `[1, 1 + numPatches, D]`. The class row is kept as is; the N patch rows, seen as a D-channel √N×√N image, are
 * resampled with torch's antialiased bicubic (a = −0.5) at scale factor √(numPatches/N) (see the fixtures README,
 * `vit/`). Differentiable (a matrix product), so a learned table receives gradients. Returns a copy when
 * numPatches = N.
 *
 * @example const focalTable = interpolatePositionEmbedding(table, 36); // 224-pixel table → 96-pixel views, patch 16
 * @throws {ShapeError} when the table is not `[1, 1 + N, D]` or the grids are not square (see
 *   {@link positionInterpolationMatrix}).
 */
export function interpolatePositionEmbedding(positionEmbedding: tf.Tensor3D, numPatches: number): tf.Tensor3D {
  const caller = 'interpolatePositionEmbedding';
  assertRank(caller, 'positionEmbedding', positionEmbedding, 3, '[1, 1 + N, D]');
  const [one, rows, hiddenDim] = positionEmbedding.shape;
  if (one !== 1 || rows < 2) {
    throw new ShapeError(`${caller}: 'positionEmbedding' must be [1, 1 + N, D] with N ≥ 1, got shape [${positionEmbedding.shape}]`);
  }
  assertInteger(caller, 'numPatches', numPatches, 1);
  const storedPatches = rows - 1;
  if (numPatches === storedPatches) return positionEmbedding.clone();
  const matrix = positionInterpolationMatrix(storedPatches, numPatches);
  return tf.tidy(() => {
    const weights = tf.tensor2d(matrix, [numPatches, storedPatches]);
    return resampleWithMatrix(positionEmbedding, weights, hiddenDim);
  });
}

/** Applies a precomputed interpolation matrix `[n, N]` to a table `[1, 1 + N, D]`; the caller owns `weights`. */
export function resampleWithMatrix(positionEmbedding: tf.Tensor3D, weights: tf.Tensor2D, hiddenDim: number): tf.Tensor3D {
  return tf.tidy(() => {
    const [numPatches, storedPatches] = weights.shape;
    const classRow = tf.slice(positionEmbedding, [0, 0, 0], [1, 1, hiddenDim]);
    const patchRows = tf.reshape(tf.slice(positionEmbedding, [0, 1, 0], [1, storedPatches, hiddenDim]), [storedPatches, hiddenDim]);
    const resampled = tf.reshape(tf.matMul(weights, patchRows), [1, numPatches, hiddenDim]);
    return tf.concat([classRow, resampled], 1) as tf.Tensor3D;
  });
}
