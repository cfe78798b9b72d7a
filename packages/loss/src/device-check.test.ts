// Input checks on every backend: thrown at once on cpu/wasm, reported by settleDeviceChecks() on webgpu.
import * as tf from '@tensorflow/tfjs-core';
import { describeEachBackend, expectNoLeakedTensors, expectTensorClose, FIXTURE_TOLERANCE, fixtureBackends } from '@msn/test-utils';
import { expect, it } from 'vitest';
import { InvalidArgumentError, settleDeviceChecks } from '@msn/errors';
import { MSNLoss } from './msn-loss';
import { PMSNCustomLoss } from './pmsn-custom-loss';

const inputs = () => ({
  anchors: tf.randomNormal([8, 6], 0, 1, 'float32', 1) as tf.Tensor2D,
  targets: tf.randomNormal([4, 6], 0, 1, 'float32', 2) as tf.Tensor2D,
  prototypes: tf.randomNormal([5, 6], 0, 1, 'float32', 3) as tf.Tensor2D,
});

describeEachBackend(fixtureBackends(), 'finiteness checks', (backend) => {
  it('names the non-finite argument (at once on cpu and wasm, at the next settle on webgpu)', async () => {
    const { anchors, targets, prototypes } = inputs();
    const withNaN = tf.concat([tf.fill([1, 6], Number.NaN), tf.slice(prototypes, [1, 0], [-1, -1])]) as tf.Tensor2D;
    const criterion = new MSNLoss();
    const call = async () => {
      tf.dispose(criterion.forward(anchors, targets, withNaN));
      await settleDeviceChecks();
    };
    await expect(call()).rejects.toThrow(InvalidArgumentError);
    await expect(call()).rejects.toThrow(
      /^MSNLoss.forward: invalid argument 'prototypes' = "tensor \[5,6\] with NaN or Infinity"; expected finite values only$/,
    );
    // Reported once: the next settle, with finite inputs, succeeds.
    tf.dispose(criterion.forward(anchors, targets, prototypes));
    await expect(settleDeviceChecks()).resolves.toBeUndefined();
    tf.dispose([anchors, targets, prototypes, withNaN]);
  });

  it('keeps the loss synchronous for tf.grad and leaks nothing once settled', async () => {
    const { anchors, targets, prototypes } = inputs();
    const criterion = new MSNLoss();
    const gradient = tf.grad((x: tf.Tensor) => criterion.forward(x as tf.Tensor2D, targets, prototypes));
    const onBackend = gradient(anchors);
    await settleDeviceChecks();
    // The same gradient on cpu (the reference backend of this suite).
    const values = { anchors: await anchors.data(), targets: await targets.data(), prototypes: await prototypes.data(), got: await onBackend.data() };
    expect(values.got.length).toBe(48);
    if (backend !== 'cpu') {
      await tf.setBackend('cpu');
      const [a, t, p] = [tf.tensor2d(values.anchors, [8, 6]), tf.tensor2d(values.targets, [4, 6]), tf.tensor2d(values.prototypes, [5, 6])];
      const want = tf.grad((x: tf.Tensor) => criterion.forward(x as tf.Tensor2D, t, p))(a);
      await expectTensorClose(tf.tensor(values.got, [8, 6]), want, { label: `gradAnchors ${backend} vs cpu`, tolerance: FIXTURE_TOLERANCE });
      await tf.setBackend(backend);
    }
    await expectNoLeakedTensors(async () => {
      tf.dispose(gradient(anchors));
      await settleDeviceChecks();
    });
    tf.dispose([anchors, targets, prototypes, onBackend]);
  });

  it('reports a custom prior that does not sum to 1, naming it', async () => {
    const { anchors, targets, prototypes } = inputs();
    const halves = (meanAnchorProbs: tf.Tensor1D) => tf.mul(meanAnchorProbs, 0.5) as tf.Tensor1D;
    const criterion = new PMSNCustomLoss({ targetDistribution: halves });
    const call = async () => {
      tf.dispose(criterion.forward(anchors, targets, prototypes));
      await settleDeviceChecks();
    };
    await expect(call()).rejects.toThrow(/invalid argument 'prior halves \[sum\]' = 0\.(49999|5)\d*; expected probabilities summing to 1 \(within 0\.00010\)$/);
    tf.dispose([anchors, targets, prototypes]);
  });
});
