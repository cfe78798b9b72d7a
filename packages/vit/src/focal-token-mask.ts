// A token mask that keeps one random contiguous rectangle of the patch grid (plus the class token).
import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError, assertInteger, assertOptions } from '@msn/errors';
import { resolveRandom, type RandomSource } from '@msn/random';

export interface FocalTokenMaskOptions extends RandomSource {
  batchSize: number;
  /** Patch grid: side of a square grid, or `[rows, columns]` (e.g. 8 for 32-pixel images with patch 4). */
  gridSize: number | readonly [number, number];
  /** Kept block: side of a square block, or `[rows, columns]`; at most the grid. */
  blockSize: number | readonly [number, number];
}

function pair(caller: string, argument: string, value: unknown): [number, number] {
  const sides = typeof value === 'number' ? [value, value] : value;
  if (!Array.isArray(sides) || sides.length !== 2) {
    throw new InvalidArgumentError({ caller, argument, value, expected: 'an integer >= 1 or [rows, columns]' });
  }
  assertInteger(caller, `${argument}[0]`, sides[0], 1);
  assertInteger(caller, `${argument}[1]`, sides[1], 1);
  return [sides[0], sides[1]];
}

/**
 * Keeps, per sample, the class token and one contiguous `blockRows × blockColumns` block of patches whose top-left
 * corner is uniform over the `(rows − blockRows + 1) × (columns − blockColumns + 1)` positions that fit. Returns
 * int32 `[batchSize, 1 + blockRows·blockColumns]`: 0 (class token) first, then 1 + r·columns + c for the block's
 * patches in row-major order. The result is an `idxKeep` for `MaskedVisionTransformer.forward`.
 *
 * @example const idxKeep = focalTokenMask({ batchSize: 8, gridSize: 14, blockSize: 6, seed: 3 }); // [8, 37]
 * @throws {InvalidArgumentError} for non-integer or non-positive sizes, a block larger than the grid, or an invalid
 *   seed/random.
 */
export function focalTokenMask(options: FocalTokenMaskOptions): tf.Tensor2D {
  const caller = 'focalTokenMask';
  assertOptions(caller, options, ['batchSize', 'gridSize', 'blockSize', 'seed', 'random'], '{ batchSize, gridSize, blockSize, ... }');
  assertInteger(caller, 'batchSize', options.batchSize, 1);
  const [rows, columns] = pair(caller, 'gridSize', options.gridSize);
  const [blockRows, blockColumns] = pair(caller, 'blockSize', options.blockSize);
  if (blockRows > rows || blockColumns > columns) {
    throw new InvalidArgumentError({
      caller,
      argument: 'blockSize',
      value: [blockRows, blockColumns],
      expected: `a block that fits the ${rows}×${columns} grid`,
    });
  }
  const random = resolveRandom(caller, options);
  const { batchSize } = options;
  const kept = 1 + blockRows * blockColumns;
  const indices = new Int32Array(batchSize * kept);
  for (let sample = 0; sample < batchSize; sample++) {
    const top = random.nextInt(rows - blockRows + 1);
    const left = random.nextInt(columns - blockColumns + 1);
    let cursor = sample * kept;
    indices[cursor++] = 0;
    for (let row = top; row < top + blockRows; row++) {
      for (let column = left; column < left + blockColumns; column++) indices[cursor++] = 1 + row * columns + column;
    }
  }
  return tf.tensor2d(indices, [batchSize, kept], 'int32');
}
