// The fused attention WGSL kernels against attention written with tfjs ops and differentiated by tfjs, on cpu.
import * as tf from '@tensorflow/tfjs-core';
import { FIXTURE_TOLERANCE, describeEachBackend, expectNoLeakedTensors, expectTensorClose } from '@msn/test-utils';
import { ATTENTION_BACKWARD_KERNEL, ATTENTION_FORWARD_KERNEL, type AttentionKernelAttributes } from '@msn/vit';
import { expect, it } from 'vitest';
import { onCpu, useWebgpuWithOurKernels, webgpuUnderTest } from './kernel-test-support';

// softmax(scale·q·kᵀ)·v per (sample, head) from [B·L, 3D] rows, the first M rows of each sample querying.
function referenceAttention(projections: tf.Tensor2D, sizes: AttentionKernelAttributes): { probabilities: tf.Tensor; context: tf.Tensor } {
  const { batchSize: b, sequenceLength: l, numHeads: h, headDim: dh, queryLength: m, scale } = sizes;
  const heads = (part: number, rows: number) =>
    tf.transpose(tf.reshape(tf.slice(tf.reshape(projections, [b, l, 3, h, dh]), [0, 0, part, 0, 0], [b, rows, 1, h, dh]), [b, rows, h, dh]), [0, 2, 1, 3]);
  const scores = tf.mul(tf.matMul(heads(0, m), heads(1, l), false, true), scale);
  const probabilities = tf.softmax(scores);
  const context = tf.reshape(tf.transpose(tf.matMul(probabilities, heads(2, l)), [0, 2, 1, 3]), [b * m, h * dh]);
  return { probabilities: tf.reshape(probabilities, [b * h, m, l]), context };
}

describeEachBackend(webgpuUnderTest(), 'attention kernels on webgpu', () => {
  useWebgpuWithOurKernels();

  // Sequences shorter and longer than a 64-thread workgroup, query counts that do not fill a block of four, the
  // first-token-only case (M = 1), and heads wider than a workgroup.
  const cases: { batchSize: number; sequenceLength: number; numHeads: number; headDim: number; queryLength: number }[] = [
    { batchSize: 2, sequenceLength: 5, numHeads: 2, headDim: 3, queryLength: 5 },
    { batchSize: 2, sequenceLength: 70, numHeads: 3, headDim: 8, queryLength: 70 },
    { batchSize: 3, sequenceLength: 9, numHeads: 2, headDim: 4, queryLength: 1 },
    { batchSize: 1, sequenceLength: 6, numHeads: 1, headDim: 130, queryLength: 6 },
  ];
  for (const shape of cases) {
    const sizes: AttentionKernelAttributes = { ...shape, scale: 1 / Math.sqrt(shape.headDim) };
    const { batchSize: b, sequenceLength: l, numHeads: h, headDim: dh, queryLength: m } = sizes;
    it(`B ${b}, L ${l}, H ${h}, dh ${dh}, M ${m}: probabilities, context and [dq | dk | dv] of tfjs' ops on cpu`, async () => {
      const rows = Array.from(tf.randomNormal([b * l * 3 * h * dh], 0, 1.5, 'float32', l + dh).dataSync());
      const gradientRows = Array.from(tf.randomNormal([b * m * h * dh], 0, 1, 'float32', m + dh).dataSync());
      const want = await onCpu(async () => {
        const projections = tf.tensor2d(rows, [b * l, 3 * h * dh]);
        const { probabilities, context } = referenceAttention(projections, sizes);
        const contextGradient = tf.tensor2d(gradientRows, [b * m, h * dh]);
        const gradient = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(referenceAttention(x as tf.Tensor2D, sizes).context, contextGradient)))(projections);
        return {
          probabilities: Array.from(await probabilities.data()),
          context: Array.from(await context.data()),
          gradient: Array.from(await gradient.data()),
        };
      });
      const projections = tf.tensor2d(rows, [b * l, 3 * h * dh]);
      const contextGradient = tf.tensor2d(gradientRows, [b * m, h * dh]);
      const [probabilities, context] = tf.engine().runKernel(ATTENTION_FORWARD_KERNEL, { projections }, { ...sizes }) as tf.Tensor[];
      const [gradient] = tf
        .engine()
        .runKernel(ATTENTION_BACKWARD_KERNEL, { contextGradient, probabilities: probabilities!, projections }, { ...sizes }) as tf.Tensor[];
      await expectTensorClose(
        probabilities!,
        { shape: [b * h, m, l], dtype: 'float64', data: want.probabilities },
        { label: 'probabilities', tolerance: FIXTURE_TOLERANCE },
      );
      await expectTensorClose(context!, { shape: [b * m, h * dh], dtype: 'float64', data: want.context }, { label: 'context', tolerance: FIXTURE_TOLERANCE });
      await expectTensorClose(
        gradient!,
        { shape: [b * l, 3 * h * dh], dtype: 'float64', data: want.gradient },
        { label: 'gradient', tolerance: FIXTURE_TOLERANCE },
      );
      await expectNoLeakedTensors(() => {
        const outputs = tf.engine().runKernel(ATTENTION_FORWARD_KERNEL, { projections }, { ...sizes }) as tf.Tensor[];
        tf.dispose([
          ...outputs,
          ...(tf.engine().runKernel(ATTENTION_BACKWARD_KERNEL, { contextGradient, probabilities: outputs[0]!, projections }, { ...sizes }) as tf.Tensor[]),
        ]);
      });
      tf.dispose([projections, contextGradient, probabilities!, context!, gradient!]);
    });
  }

  it('names the kernel, input and shape when the projections do not fit the sizes', () => {
    const projections = tf.zeros([10, 12]);
    const sizes = { batchSize: 2, sequenceLength: 5, numHeads: 2, headDim: 3, queryLength: 5, scale: 1 };
    expect(() => tf.engine().runKernel(ATTENTION_FORWARD_KERNEL, { projections }, sizes)).toThrow(
      "MsnAttentionForward: expected input 'projections' of shape [10,18], got [10,12]",
    );
    expect(() => tf.engine().runKernel(ATTENTION_FORWARD_KERNEL, { projections }, { ...sizes, queryLength: 0 })).toThrow(
      "MsnAttentionForward: expected attribute 'queryLength' to be a positive integer, got 0",
    );
    projections.dispose();
  });
});
