// Both token-gather paths (host copy, tf.gather) give the selected rows and scatter their gradient back; on webgpu
// (MSN_TEST_WEBGPU=1) the device path, with flat row indices built on the device.
import * as tf from '@tensorflow/tfjs-core';
import { describeEachBackend, expectNoLeakedTensors, fixtureBackends } from '@msn/test-utils';
import { expect, it } from 'vitest';
import { gatherTokens } from './gather-tokens';

describeEachBackend(fixtureBackends(), 'gatherTokens', (backend) => {
  // The host copy exists only where tensors live in host memory.
  for (const implementation of backend === 'webgpu' ? (['auto'] as const) : (['host', 'tfjs'] as const)) {
    it(`${implementation}: selects each sample's rows in index order and sums repeated rows in the gradient`, async () => {
      const [batchSize, length, width] = [2, 4, 3];
      const tokens = tf.tensor3d(
        Array.from({ length: batchSize * length * width }, (_, index) => index),
        [batchSize, length, width],
      );
      const indices = tf.tensor2d(
        [
          [0, 3, 1],
          [2, 2, 0],
        ],
        [2, 3],
        'int32',
      );
      const rows = await tokens.array();
      const gathered = gatherTokens(tokens, indices, implementation);
      expect(await gathered.array()).toEqual([
        [rows[0]![0], rows[0]![3], rows[0]![1]],
        [rows[1]![2], rows[1]![2], rows[1]![0]],
      ]);
      const weights = tf.tensor3d(
        Array.from({ length: batchSize * 3 * width }, (_, index) => index + 1),
        [batchSize, 3, width],
      );
      const gradient = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(gatherTokens(x as tf.Tensor3D, indices, implementation), weights)))(tokens);
      const w = await weights.array();
      const zeros = [0, 0, 0];
      const add = (a: number[], b: number[]) => a.map((value, index) => value + b[index]!);
      expect(await gradient.array()).toEqual([
        [w[0]![0], w[0]![2], zeros, w[0]![1]],
        [w[1]![2], zeros, add(w[1]![0]!, w[1]![1]!), zeros],
      ]);
      await expectNoLeakedTensors(() => tf.dispose(gatherTokens(tokens, indices, implementation)));
      tf.dispose([tokens, indices, gathered, weights, gradient]);
    });
  }
});
