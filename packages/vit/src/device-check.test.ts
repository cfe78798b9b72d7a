// idxKeep range checks on every backend: thrown at once on cpu/wasm, reported by settleDeviceChecks() on webgpu.
import * as tf from '@tensorflow/tfjs-core';
import { describeEachBackend, expectNoLeakedTensors, fixtureBackends } from '@msn/test-utils';
import { expect, it } from 'vitest';
import { InvalidArgumentError, settleDeviceChecks } from '@msn/errors';
import { MaskedVisionTransformer } from './masked-vision-transformer';

describeEachBackend(fixtureBackends(), 'idxKeep checks', () => {
  it('names the first index outside the sequence, once, and leaks nothing', async () => {
    const vit = new MaskedVisionTransformer({ config: { imageSize: 8, patchSize: 4, numLayers: 1, numHeads: 2, hiddenDim: 8, mlpDim: 16 }, seed: 1 });
    const images = tf.randomNormal([2, 3, 8, 8], 0, 1, 'float32', 2) as tf.Tensor4D;
    const outside = tf.tensor2d(
      [
        [0, 1, 2],
        [0, 4, 9],
      ],
      [2, 3],
      'int32',
    );
    const inside = tf.tensor2d(
      [
        [0, 1, 2],
        [0, 4, 3],
      ],
      [2, 3],
      'int32',
    );
    const call = async (idxKeep: tf.Tensor2D) => {
      tf.dispose(vit.forward(images, { idxKeep }));
      await settleDeviceChecks();
    };
    await expect(call(outside)).rejects.toThrow(InvalidArgumentError);
    await expect(call(outside)).rejects.toThrow(/^MaskedVisionTransformer.forward: invalid argument 'idxKeep\[1, 2\]' = 9; expected an index in \[0, 5\)/);
    await expect(call(inside)).resolves.toBeUndefined();
    await expectNoLeakedTensors(() => call(inside));
    tf.dispose([images, outside, inside]);
    vit.dispose();
  });
});
