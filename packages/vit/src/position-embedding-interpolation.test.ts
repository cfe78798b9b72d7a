import * as tf from '@tensorflow/tfjs-core';
import { FIXTURE_TOLERANCE, describeEachBackend, embeddedBackends, expectClose, expectNoLeakedTensors } from '@msn/test-utils';
import { expect, it } from 'vitest';
import { ShapeError } from '@msn/errors';
import { antialiasedBicubicWeights, interpolatePositionEmbedding, positionInterpolationMatrix } from './position-embedding-interpolation';

describeEachBackend(embeddedBackends(), 'interpolatePositionEmbedding', () => {
  it('keeps the class row, preserves constants and returns a copy for the same grid', () => {
    const table = tf.concat([tf.fill([1, 1, 3], 7), tf.fill([1, 16, 3], -2)], 1) as tf.Tensor3D;
    for (const numPatches of [4, 9, 36]) {
      const resized = interpolatePositionEmbedding(table, numPatches);
      expect(resized.shape).toEqual([1, 1 + numPatches, 3]);
      const expected = [...new Array(3).fill(7), ...new Array(3 * numPatches).fill(-2)];
      expectClose(resized, expected, { label: `constant table → ${numPatches}`, tolerance: FIXTURE_TOLERANCE });
      resized.dispose();
    }
    const same = interpolatePositionEmbedding(table, 16);
    expect(Array.from(same.dataSync())).toEqual(Array.from(table.dataSync()));
    same.dispose();
    table.dispose();
  });

  it('is differentiable with respect to the table', () => {
    const table = tf.randomNormal([1, 10, 4], 0, 1, 'float32', 1) as tf.Tensor3D;
    const gradient = tf.grad((x: tf.Tensor) => tf.sum(interpolatePositionEmbedding(x as tf.Tensor3D, 4)))(table);
    // Every output row's weights sum to 1 and the class row passes through: each column's total gradient is 1 + 4.
    expectClose(tf.sum(gradient, [0, 1]), [5, 5, 5, 5], { label: 'gradient totals', tolerance: FIXTURE_TOLERANCE });
    tf.dispose([table, gradient]);
  });

  it('does not leak tensors', async () => {
    const table = tf.randomNormal([1, 17, 4], 0, 1, 'float32', 2) as tf.Tensor3D;
    await expectNoLeakedTensors(() => tf.dispose(interpolatePositionEmbedding(table, 4)));
    table.dispose();
  });
});

describeEachBackend(['cpu'], 'positionInterpolationMatrix', () => {
  it('uses normalised antialiased bicubic weights (a = −0.5) on each axis', () => {
    // Downsampling 4 → 2 at scale 2: support 4, centre 1 and 3 in input-pixel units.
    const weights = antialiasedBicubicWeights(4, 2, 2);
    for (let row = 0; row < 2; row++) {
      const slice = Array.from(weights.slice(row * 4, row * 4 + 4));
      expect(slice.reduce((total, value) => total + value, 0)).toBeCloseTo(1, 12);
    }
    // Symmetric grid: the two output pixels mirror each other.
    expect(Array.from(weights.slice(0, 4))).toEqual(Array.from(weights.slice(4, 8)).reverse());
    const matrix = positionInterpolationMatrix(16, 4);
    expect(matrix.length).toBe(4 * 16);
  });

  it('rejects grids that are not square or not reachable by the scale factor', () => {
    expect(() => positionInterpolationMatrix(16, 8)).toThrow(ShapeError);
    expect(() => positionInterpolationMatrix(12, 4)).toThrow(/needs square patch grids, got 12 stored and 4 requested patches/);
  });
});
