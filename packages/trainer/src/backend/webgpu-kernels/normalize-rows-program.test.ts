// The fused LayerNorm-rows WGSL kernel against the cpu backend's op chain, alone and inside a ViT step's gradients.
import * as tf from '@tensorflow/tfjs-core';
import { FIXTURE_TOLERANCE, describeEachBackend, expectNoLeakedTensors, expectTensorClose } from '@msn/test-utils';
import { MaskedVisionTransformer, NORMALIZE_ROWS_KERNEL, normalizeRows } from '@msn/vit';
import { expect, it } from 'vitest';
import { onCpu, useWebgpuWithOurKernels, webgpuUnderTest } from './kernel-test-support';

// Rows whose mean (0…7) differs from row to row and exceeds their spread, so a centring bug shows. Every row holds
// −1 and +1 around its mean, so no row is nearly constant (its normalisation would be float32 rounding on either
// backend); larger offsets would likewise exceed float32's precision.
function rowsOf(rows: number, columns: number, seed: number): Float32Array {
  const random = tf.randomUniform([rows * columns], -1, 1, 'float32', seed).dataSync() as Float32Array;
  return random.map((value, index) => {
    const column = index % columns;
    return (Math.floor(index / columns) % 8) + (column === 0 ? -1 : column === 1 ? 1 : value);
  });
}

describeEachBackend(webgpuUnderTest(), 'NORMALIZE_ROWS_KERNEL on webgpu', () => {
  useWebgpuWithOurKernels();

  // Widths below, at and above the 64-thread workgroup; a row count past one dispatch dimension (65535 workgroups).
  for (const [rows, columns] of [
    [3, 8],
    [5, 64],
    [7, 384],
    [2, 1000],
    [65540, 4],
  ] as const) {
    it(`normalises [${rows}, ${columns}] like the op chain on cpu`, async () => {
      const values = rowsOf(rows, columns, rows + columns);
      const want = await onCpu(async () => {
        const x = tf.tensor2d(values, [rows, columns]);
        const { normalized, inverseStd } = normalizeRows(x, 1e-6);
        const result = { normalized: await normalized.data(), inverseStd: await inverseStd.data() };
        tf.dispose([x, normalized, inverseStd]);
        return result;
      });
      const x = tf.tensor2d(values, [rows, columns]);
      const [normalized, inverseStd] = tf.engine().runKernel(NORMALIZE_ROWS_KERNEL, { x }, { epsilon: 1e-6 }) as tf.Tensor[];
      expect(normalized!.shape).toEqual([rows, columns]);
      expect(inverseStd!.shape).toEqual([rows, 1]);
      await expectTensorClose(
        normalized!,
        { shape: [rows, columns], dtype: 'float64', data: Array.from(want.normalized) },
        { label: 'normalized', tolerance: FIXTURE_TOLERANCE },
      );
      await expectTensorClose(
        inverseStd!,
        { shape: [rows, 1], dtype: 'float64', data: Array.from(want.inverseStd) },
        { label: 'inverseStd', tolerance: FIXTURE_TOLERANCE },
      );
      await expectNoLeakedTensors(() => tf.dispose(tf.engine().runKernel(NORMALIZE_ROWS_KERNEL, { x }, { epsilon: 1e-6 }) as tf.Tensor[]));
      tf.dispose([x, normalized!, inverseStd!]);
    });
  }

  it('gives a masked ViT the class tokens and weight gradients of the cpu backend', async () => {
    const config = { imageSize: 16, patchSize: 4, numLayers: 2, numHeads: 2, hiddenDim: 32, mlpDim: 64 };
    const images = tf.randomNormal([3, 3, 16, 16], 0, 1, 'float32', 4).dataSync();
    const idxKeep = [0, 5, 2, 9, 0, 1, 16, 3, 0, 7, 8, 4];
    // Loss = Σ cls · fixed weights: its gradient reaches every LayerNorm (forward kernel, backward op chain).
    const run = async () => {
      const vit = new MaskedVisionTransformer({ config, seed: 7 });
      const input = tf.tensor4d(images, [3, 3, 16, 16]);
      const mask = tf.tensor2d(idxKeep, [3, 4], 'int32');
      const weights = tf.reshape(tf.linspace(-1, 1, 3 * 32), [3, 32]);
      const variables = [...vit.namedVariables()].filter(([name]) => name.includes('ln_') || name.includes('encoder.ln'));
      const { value, grads } = tf.variableGrads(
        () => tf.sum(tf.mul(vit.forward(input, { idxKeep: mask }), weights)) as tf.Scalar,
        variables.map(([, variable]) => variable),
      );
      const result = {
        value: (await value.data())[0]!,
        grads: await Promise.all(variables.map(async ([name, variable]) => [name, await grads[variable.name]!.data()] as const)),
      };
      tf.dispose([input, mask, weights, value, ...Object.values(grads)]);
      vit.dispose();
      return result;
    };
    const want = await onCpu(run);
    const got = await run();
    // The webgpu forward ran the fused kernel for each LayerNorm: two per block and the final one.
    const profiled = await tf.profile(() => {
      const vit = new MaskedVisionTransformer({ config, seed: 7 });
      const input = tf.tensor4d(images, [3, 3, 16, 16]);
      tf.dispose([vit.forward(input), input]);
      vit.dispose();
    });
    expect(profiled.kernels.filter((kernel) => kernel.name === NORMALIZE_ROWS_KERNEL)).toHaveLength(2 * config.numLayers + 1);
    expect(Math.abs(got.value - want.value)).toBeLessThanOrEqual(1e-4 * Math.abs(want.value) + 1e-5);
    expect(got.grads.length).toBe(2 * 2 * 2 + 2);
    for (const [index, [name, values]] of got.grads.entries()) {
      await expectTensorClose(
        tf.tensor1d(values),
        { shape: [values.length], dtype: 'float64', data: Array.from(want.grads[index]![1]) },
        { label: name, tolerance: FIXTURE_TOLERANCE },
      );
    }
  });
});
