import * as tf from '@tensorflow/tfjs-core';
import { FIXTURE_TOLERANCE, describeEachBackend, embeddedBackends, expectClose, expectNoLeakedTensors } from '@msn/test-utils';
import { expect, it } from 'vitest';
import { ShapeError } from '@msn/errors';
import { clipGradientsByGlobalNorm } from './clip-gradients';
import { updateEma } from './ema';

describeEachBackend(embeddedBackends(), 'clipGradientsByGlobalNorm', () => {
  it('scales by maxNorm / (norm + 1e-6) when the global norm is larger, and returns that norm', () => {
    // Global norm of (3, 4) and (12) is 13.
    const gradients = { a: tf.tensor1d([3, 4]), b: tf.tensor1d([12]), c: null };
    const { gradients: clipped, totalNorm } = clipGradientsByGlobalNorm(gradients, 6.5);
    expect(totalNorm.dataSync()[0]).toBeCloseTo(13, 5);
    const coefficient = 6.5 / (13 + 1e-6);
    expectClose(clipped.get('a')!, [3 * coefficient, 4 * coefficient], { label: 'a', tolerance: FIXTURE_TOLERANCE });
    expectClose(clipped.get('b')!, [12 * coefficient], { label: 'b', tolerance: FIXTURE_TOLERANCE });
    expect(clipped.has('c')).toBe(false);
    tf.dispose([gradients.a, gradients.b, ...clipped.values(), totalNorm]);
  });

  it('leaves gradients below the threshold unchanged', () => {
    const gradients = new Map([
      [
        'w',
        tf.tensor2d([
          [0.1, -0.2],
          [0.2, 0.1],
        ]),
      ],
    ]);
    const { gradients: clipped, totalNorm } = clipGradientsByGlobalNorm(gradients, 3);
    expect(Array.from(clipped.get('w')!.dataSync())).toEqual(Array.from(gradients.get('w')!.dataSync()));
    tf.dispose([...gradients.values(), ...clipped.values(), totalNorm]);
  });

  it('does not leak and rejects a bad threshold', async () => {
    const gradient = tf.randomNormal([4, 4], 0, 1, 'float32', 3);
    await expectNoLeakedTensors(() => {
      const { gradients, totalNorm } = clipGradientsByGlobalNorm({ gradient }, 1);
      tf.dispose([...gradients.values(), totalNorm]);
    });
    expect(() => clipGradientsByGlobalNorm({ gradient }, 0)).toThrow(/'maxNorm' = 0; expected a finite number > 0/);
    expect(() => clipGradientsByGlobalNorm({}, 1)).toThrow(/'gradients'.*at least one gradient/);
    gradient.dispose();
  });
});

describeEachBackend(embeddedBackends(), 'updateEma', () => {
  it('moves targets to m·target + (1 − m)·anchor and leaves anchors alone', () => {
    const target = tf.variable(tf.tensor1d([1, 2, 3]));
    const anchor = tf.tensor1d([3, 2, -1]);
    updateEma([[target, anchor]], 0.75);
    expectClose(target, [1.5, 2, 2], { label: 'ema target', tolerance: FIXTURE_TOLERANCE });
    expect(Array.from(anchor.dataSync())).toEqual([3, 2, -1]);
    updateEma([[target, anchor]], 1);
    expectClose(target, [1.5, 2, 2], { label: 'momentum 1 keeps the target', tolerance: FIXTURE_TOLERANCE });
    tf.dispose([target, anchor]);
  });

  it('does not leak and validates its inputs', async () => {
    const target = tf.variable(tf.zeros([2, 2]));
    const anchor = tf.ones([2, 2]);
    await expectNoLeakedTensors(() => updateEma([[target, anchor]], 0.9));
    expect(() => updateEma([[target, anchor]], 1.5)).toThrow(/'momentum' = 1.5; expected a number in \[0, 1\]/);
    const other = tf.ones([4]);
    expect(() => updateEma([[target, other]], 0.5)).toThrow(ShapeError);
    expect(() => updateEma([[anchor as tf.Variable, anchor]], 0.5)).toThrow(/expected a tf.Variable/);
    tf.dispose([target, anchor, other]);
  });
});
