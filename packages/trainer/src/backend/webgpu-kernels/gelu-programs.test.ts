// The fused GELU WGSL kernels against the cpu backend's op chain.
import * as tf from '@tensorflow/tfjs-core';
import { FIXTURE_TOLERANCE, describeEachBackend, expectNoLeakedTensors, expectTensorClose } from '@msn/test-utils';
import { GELU_BACKWARD_KERNEL, GELU_KERNEL } from '@msn/vit';
import { expect, it } from 'vitest';
import { onCpu, useWebgpuWithOurKernels, webgpuUnderTest } from './kernel-test-support';

const INVERSE_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

describeEachBackend(webgpuUnderTest(), 'GELU kernels on webgpu', () => {
  useWebgpuWithOurKernels();

  // Sizes below, at and past one 64-thread workgroup, and past one dispatch dimension of workgroups; values past ±4.
  for (const shape of [[7], [8, 8], [130, 70], [1100, 4000]] as const) {
    it(`GELU and its gradient of [${shape}] match the op chain on cpu`, async () => {
      const size = shape.reduce((product, extent) => product * extent, 1);
      const x = Array.from(tf.randomUniform([size], -5, 5, 'float32', size).dataSync());
      const dy = Array.from(tf.randomNormal([size], 0, 1, 'float32', size + 1).dataSync());
      const want = await onCpu(async () => {
        const input = tf.tensor(x, [...shape]);
        const normal = tf.mul(0.5, tf.add(1, tf.erf(tf.mul(input, Math.SQRT1_2))));
        const density = tf.mul(tf.exp(tf.mul(tf.square(input), -0.5)), INVERSE_SQRT_2PI);
        const activated = tf.mul(input, normal);
        const inputGradient = tf.mul(tf.tensor(dy, [...shape]), tf.add(normal, tf.mul(input, density)));
        return { activated: Array.from(await activated.data()), inputGradient: Array.from(await inputGradient.data()) };
      });
      const input = tf.tensor(x, [...shape]);
      const gradient = tf.tensor(dy, [...shape]);
      const [forward] = tf.engine().runKernel(GELU_KERNEL, { x: input }, {}) as tf.Tensor[];
      const [activated, inputGradient] = tf.engine().runKernel(GELU_BACKWARD_KERNEL, { x: input, dy: gradient }, {}) as tf.Tensor[];
      const tolerance = FIXTURE_TOLERANCE;
      await expectTensorClose(forward!, { shape: [...shape], dtype: 'float64', data: want.activated }, { label: 'GELU', tolerance });
      await expectTensorClose(activated!, { shape: [...shape], dtype: 'float64', data: want.activated }, { label: 'activated', tolerance });
      await expectTensorClose(inputGradient!, { shape: [...shape], dtype: 'float64', data: want.inputGradient }, { label: 'inputGradient', tolerance });
      await expectNoLeakedTensors(() => {
        tf.dispose(tf.engine().runKernel(GELU_KERNEL, { x: input }, {}) as tf.Tensor[]);
        tf.dispose(tf.engine().runKernel(GELU_BACKWARD_KERNEL, { x: input, dy: gradient }, {}) as tf.Tensor[]);
      });
      tf.dispose([input, gradient, forward!, activated!, inputGradient!]);
    });
  }

  it('names the kernel and input when dy does not match x', () => {
    const x = tf.zeros([2, 3]);
    const dy = tf.zeros([3, 2]);
    expect(() => tf.engine().runKernel(GELU_BACKWARD_KERNEL, { x, dy }, {})).toThrow("MsnGeluBackward: expected dy of x's shape [2,3], got [3,2]");
    tf.dispose([x, dy]);
  });
});
