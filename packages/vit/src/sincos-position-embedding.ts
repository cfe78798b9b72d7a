// The fixed 2-D sine-cosine position table of MAE, which lightly's masked ViT installs and freezes.
import { InvalidArgumentError, assertInteger } from '@msn/errors';

/**
 * The 2-D sine-cosine position table for a `gridSize`×`gridSize` patch grid, with a leading all-zero class-token
 * row: a row-major `[(1 + gridSize²) · hiddenDim]` array.
 *
 * For patch p = row·gridSize + column and ωₖ = 10000^(−k/(D/4)), k < D/4, the row is
 * [sin(column·ω), cos(column·ω), sin(row·ω), cos(row·ω)] (the column comes first, as in MAE's `meshgrid(w, h)`).
 * Computed in float64 like the reference, then rounded to float32.
 *
 * @example const table = sinCosPositionEmbedding(192, 8); // Float32Array of 65·192 values
 * @throws {InvalidArgumentError} when `hiddenDim` is not a positive multiple of 4 or `gridSize` is not an integer ≥ 1.
 */
export function sinCosPositionEmbedding(hiddenDim: number, gridSize: number): Float32Array {
  const caller = 'sinCosPositionEmbedding';
  assertInteger(caller, 'gridSize', gridSize, 1);
  assertInteger(caller, 'hiddenDim', hiddenDim, 4);
  if (hiddenDim % 4 !== 0) {
    throw new InvalidArgumentError({ caller, argument: 'hiddenDim', value: hiddenDim, expected: 'a multiple of 4' });
  }
  const quarter = hiddenDim / 4;
  const frequencies = Array.from({ length: quarter }, (_, k) => 1 / 10000 ** (k / quarter));
  const table = new Float32Array((1 + gridSize * gridSize) * hiddenDim);
  for (let row = 0; row < gridSize; row++) {
    for (let column = 0; column < gridSize; column++) {
      const offset = (1 + row * gridSize + column) * hiddenDim;
      for (let k = 0; k < quarter; k++) {
        const frequency = frequencies[k]!;
        table[offset + k] = Math.sin(column * frequency);
        table[offset + quarter + k] = Math.cos(column * frequency);
        table[offset + 2 * quarter + k] = Math.sin(row * frequency);
        table[offset + 3 * quarter + k] = Math.cos(row * frequency);
      }
    }
  }
  return table;
}
