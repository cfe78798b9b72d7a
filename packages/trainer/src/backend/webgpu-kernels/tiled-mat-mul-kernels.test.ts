// The tiled WGSL products against the cpu backend's, and when they run instead of tfjs' own webgpu kernels.
import * as tf from '@tensorflow/tfjs-core';
import { FIXTURE_TOLERANCE, describeEachBackend, expectNoLeakedTensors, expectTensorClose } from '@msn/test-utils';
import { isTransposeFreeMatMul } from '@msn/vit';
import { describe, expect, it, vi } from 'vitest';
import { onCpu, useWebgpuWithOurKernels, webgpuUnderTest } from './kernel-test-support';
import { registerWebgpuKernels, unregisterWebgpuKernels } from './register-webgpu-kernels';
import { tiledMatMulKernelsRegistered, tiledMatMulShape } from './tiled-mat-mul-kernels';
import type { WebGPUBackendShape } from './webgpu-program';

const info = (shape: number[], dtype: tf.DataType = 'float32') => ({ shape, dtype, dataId: {} }) as unknown as tf.TensorInfo;

describe('tiledMatMulShape', () => {
  it('reads M, K, N and the batches of either operand through the transpose flags', () => {
    const shape = tiledMatMulShape({ a: info([3, 40, 70]), b: info([1, 90, 40]) }, { transposeA: true, transposeB: true }, 1);
    expect(shape).toEqual({ batch: 3, batchA: 3, batchB: 1, m: 70, n: 90, k: 40, transposeA: true, transposeB: true, bias: false, outputShape: [3, 70, 90] });
  });

  it('leaves to the stock kernel what the program does not cover', () => {
    const a = info([128, 64]);
    const b = info([64, 128]);
    expect(tiledMatMulShape({ a, b }, {}, 4)).toBeDefined();
    expect(tiledMatMulShape({ a, b }, {}, 5)).toBeUndefined(); // 4 tiles of 64×64
    expect(tiledMatMulShape({ a, b }, { activation: 'relu' }, 1)).toBeUndefined();
    expect(tiledMatMulShape({ a: info([128, 64], 'int32'), b }, {}, 1)).toBeUndefined();
    expect(tiledMatMulShape({ a: info([2, 128, 64]), b: info([3, 64, 128]) }, {}, 1)).toBeUndefined();
    expect(tiledMatMulShape({ a, b, bias: info([64]) }, {}, 1)).toBeUndefined();
    expect(tiledMatMulShape({ a, b, bias: info([128]) }, { activation: 'linear' }, 1)?.bias).toBe(true);
  });
});

describeEachBackend(webgpuUnderTest(), 'tiled matrix products on webgpu', () => {
  // Every product below runs tiled, however small.
  const everyProductTiled = { fused: false, tiledMatMul: { minimumTiles: 1 } };
  useWebgpuWithOurKernels(everyProductTiled);

  it('replaced the stock kernels and declared flagged products free for @msn/vit', () => {
    expect(tiledMatMulKernelsRegistered()).toBe(true);
    expect(isTransposeFreeMatMul()).toBe(true);
  });

  // Edges that are not tile multiples, a depth that is not a multiple of 16, every transpose combination, a
  // broadcast batch, and a bias (the fused product of a linear layer).
  const cases = [
    { a: [70, 33], b: [33, 130], transposeA: false, transposeB: false },
    { a: [33, 70], b: [33, 130], transposeA: true, transposeB: false },
    { a: [70, 33], b: [130, 33], transposeA: false, transposeB: true },
    { a: [33, 70], b: [130, 33], transposeA: true, transposeB: true },
    { a: [3, 65, 17], b: [1, 17, 64], transposeA: false, transposeB: false },
    { a: [1, 5, 200], b: [2, 7, 200], transposeA: false, transposeB: true },
    { a: [129, 96], b: [200, 96], transposeA: false, transposeB: true, bias: true },
  ];
  for (const { a, b, transposeA, transposeB, bias = false } of cases) {
    it(`[${a}]${transposeA ? 'ᵀ' : ''}·[${b}]${transposeB ? 'ᵀ' : ''}${bias ? ' + bias' : ''} equals the cpu product`, async () => {
      const size = (shape: number[]) => shape.reduce((product, extent) => product * extent, 1);
      const left = Array.from(tf.randomNormal([size(a)], 0, 1, 'float32', size(a)).dataSync());
      const right = Array.from(tf.randomNormal([size(b)], 0, 1, 'float32', size(b) + 1).dataSync());
      const width = transposeB ? b.at(-2)! : b.at(-1)!;
      const shift = Array.from({ length: width }, (_, index) => index / width - 0.5);
      const product = () => {
        const x = tf.tensor(left, a);
        const y = tf.tensor(right, b);
        return bias
          ? tf.fused.matMul({ a: x as tf.Tensor2D, b: y as tf.Tensor2D, transposeA, transposeB, bias: tf.tensor1d(shift) })
          : tf.matMul(x, y, transposeA, transposeB);
      };
      const want = await onCpu(async () => {
        const result = product();
        return { shape: result.shape, data: Array.from(await result.data()) };
      });
      // It runs the tiled program with these flags, not the stock kernel.
      const backend = tf.backend() as unknown as WebGPUBackendShape;
      const programs = vi.spyOn(backend, 'runWebGPUProgram');
      const got = tf.tidy(product);
      const shaderKeys = programs.mock.calls.map(([program]) => program.shaderKey);
      programs.mockRestore();
      // (tfjs appends the operands' ranks and dtypes to the key when it compiles.)
      const tiledKey = `msnTiledMatMul_${transposeA}_${transposeB}_${bias}_`;
      expect(shaderKeys.some((key) => key.startsWith(tiledKey))).toBe(true);
      await expectTensorClose(got, { shape: want.shape, dtype: 'float64', data: want.data }, { label: 'product', tolerance: FIXTURE_TOLERANCE });
      await expectNoLeakedTensors(() => tf.dispose(tf.tidy(product)));
      got.dispose();
    });
  }

  it('unregistering restores the stock kernels, with the same products', async () => {
    unregisterWebgpuKernels();
    expect(tiledMatMulKernelsRegistered()).toBe(false);
    expect(isTransposeFreeMatMul()).toBe(false);
    const product = tf.matMul(tf.ones([70, 33]), tf.ones([33, 130]));
    expect(Array.from(await product.data()).every((value) => value === 33)).toBe(true);
    product.dispose();
    registerWebgpuKernels(everyProductTiled);
  });
});
