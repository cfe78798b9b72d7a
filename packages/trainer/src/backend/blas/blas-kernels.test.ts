// The BLAS kernels against the stock wasm kernels for every shape class the model uses (skipped without a BLAS).
import * as tf from '@tensorflow/tfjs-core';
import { FIXTURE_TOLERANCE, expectClose, expectNoLeakedTensors, useBackend } from '@msn/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BlasLibrary } from './blas-library';
import { installBlasKernels, installedBlasLibrary, uninstallBlasKernels } from './blas-kernels';
import { findBlasLibrary } from './find-blas-library';

const search = await findBlasLibrary({ library: 'auto' }).catch((error: unknown) => ({ library: null, reason: String(error) }));
const found = search.library;
if (found === null) process.stderr.write(`blas-kernels.test: skipped: ${'reason' in search ? search.reason : ''}\n`);

// Counts the products that reach the BLAS, so each case proves it did not fall back to the stock kernel.
let sgemmCalls = 0;
const counted: BlasLibrary | null = found && {
  ...found,
  sgemm: (...args: Parameters<BlasLibrary['sgemm']>) => {
    sgemmCalls++;
    found.sgemm(...args);
  },
};

const random = (shape: number[], seed: number) => tf.randomNormal(shape, 0, 1, 'float32', seed);

// The same computation with the stock kernels (of wasm, or of cpu where wasm's are wrong) and with the BLAS ones.
function compare(
  label: string,
  compute: () => tf.Tensor,
  options: { expectBlas?: boolean; reference?: 'wasm' | 'cpu' } = {},
): { stock: Float32Array; blas: Float32Array; shape: number[] } {
  uninstallBlasKernels();
  if (options.reference === 'cpu') tf.setBackend('cpu');
  const stockTensor = compute();
  const stock = stockTensor.dataSync() as Float32Array;
  tf.setBackend('wasm');
  installBlasKernels(counted!);
  const callsBefore = sgemmCalls;
  const blasTensor = compute();
  const blas = blasTensor.dataSync() as Float32Array;
  expect(blasTensor.shape, label).toEqual(stockTensor.shape);
  if (stock.length > 0) expectClose(blas, stock, { label, tolerance: FIXTURE_TOLERANCE });
  if (options.expectBlas ?? true) expect(sgemmCalls, `${label}: products run by the BLAS`).toBeGreaterThan(callsBefore);
  const shape = blasTensor.shape;
  tf.dispose([stockTensor, blasTensor]);
  return { stock, blas, shape };
}

describe.skipIf(found === null)(`BLAS kernels on wasm (${found?.name ?? 'none'}, ${found?.path ?? ''})`, () => {
  beforeAll(async () => {
    await useBackend('cpu'); // registered for the references where stock wasm is wrong
    await useBackend('wasm');
  });
  afterAll(() => {
    uninstallBlasKernels();
  });

  const products: [string, number[], number[], boolean, boolean][] = [
    ['linear layer [rows, in]·[in, out]', [97, 192], [192, 576], false, false],
    ['transposeB (q·kᵀ)', [65, 64], [65, 64], false, true],
    ['transposeA (dyᵀ·x)', [130, 48], [130, 96], true, false],
    ['both transposed', [33, 17], [29, 33], true, true],
    ['odd sizes 1×1·1×1', [1, 1], [1, 1], false, false],
    ['odd sizes 7×13·13×5', [7, 13], [13, 5], false, false],
    ['a row times a column', [1, 301], [301, 1], false, false],
    ['batched, equal batches', [6, 17, 8], [6, 8, 17], false, false],
    ['batched with flags', [6, 8, 17], [6, 19, 8], true, true],
    ['batch of A over one B', [4, 9, 12], [12, 7], false, false],
    ['batch of A over one B, transposeB', [4, 9, 12], [7, 12], false, true],
    ['batch of A over one B, transposeA', [4, 12, 9], [12, 7], true, false],
    ['one A over a batch of B', [9, 12], [3, 12, 7], false, false],
    ['rank-4 batch broadcast [2,3]·[1]', [2, 3, 5, 4], [1, 4, 6], false, false],
  ];
  for (const [label, aShape, bShape, transposeA, transposeB] of products) {
    it(`matMul: ${label} ${JSON.stringify(aShape)}·${JSON.stringify(bShape)} (${transposeA}, ${transposeB})`, () => {
      const a = random(aShape, 1);
      const b = random(bShape, 2);
      const { blas } = compare(label, () => tf.matMul(a, b, transposeA, transposeB));
      // A real product, not zeros: mean |value| of a sum of k standard-normal products is about 0.8·√k.
      const k = transposeA ? aShape.at(-2)! : aShape.at(-1)!;
      const meanMagnitude = blas.reduce((sum, value) => sum + Math.abs(value), 0) / blas.length;
      if (blas.length >= 64) expect(meanMagnitude).toBeGreaterThan(0.5 * Math.sqrt(k));
      tf.dispose([a, b]);
    });
  }

  it('gives exact small products, plain and with both operands transposed', () => {
    installBlasKernels(counted!);
    const a = tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3]);
    const b = tf.tensor2d([1, 0, 0, 1, 1, 1], [3, 2]);
    const plain = tf.matMul(a, b);
    const transposed = tf.matMul(b, a, true, true); // bᵀ·aᵀ = (a·b)ᵀ
    const fused = tf.fused.matMul({ a, b, bias: tf.tensor1d([10, -20]), activation: 'relu' });
    expect([...plain.dataSync()]).toEqual([4, 5, 10, 11]);
    expect([...transposed.dataSync()]).toEqual([4, 10, 5, 11]);
    expect([...fused.dataSync()]).toEqual([14, 0, 20, 0]);
    tf.dispose([a, b, plain, transposed, fused]);
  });

  it('broadcasts batch dimensions both ways ([2,1]·[3]) as NumPy does', () => {
    const a = random([2, 1, 4, 5], 3);
    const b = random([3, 5, 6], 4);
    installBlasKernels(counted!);
    const got = tf.matMul(a, b);
    expect(got.shape).toEqual([2, 3, 4, 6]);
    // Reference: the explicitly broadcast operands through the stock kernel.
    uninstallBlasKernels();
    const want = tf.matMul(tf.broadcastTo(a, [2, 3, 4, 5]), tf.broadcastTo(b, [2, 3, 5, 6]));
    expectClose(got, want, { label: 'broadcast [2,1]·[3]', tolerance: FIXTURE_TOLERANCE });
    tf.dispose([a, b, got, want]);
  });

  it('returns empty products and zero-length inner products like the stock kernel', () => {
    const empty = compare('no rows', () => tf.matMul(tf.zeros([0, 5]), random([5, 3], 5)), { expectBlas: false });
    expect(empty.shape).toEqual([0, 3]);
    // The stock kernel leaves such an output uninitialised (it returns whatever the heap held); the sum of nothing is 0.
    installBlasKernels(counted!);
    const inner = tf.matMul(tf.zeros([4, 0]), tf.zeros([0, 3]));
    expect(inner.shape).toEqual([4, 3]);
    expect([...inner.dataSync()]).toEqual(new Array(12).fill(0));
    inner.dispose();
    const noBatch = compare('batch 0', () => tf.matMul(tf.zeros([0, 2, 3]), tf.zeros([0, 3, 4])), { expectBlas: false });
    expect(noBatch.shape).toEqual([0, 2, 4]);
    installBlasKernels(counted!);
    const innerWithBias = tf.fused.matMul({ a: tf.zeros([2, 0]), b: tf.zeros([0, 3]), bias: tf.tensor1d([1, 2, 3]) });
    expect([...innerWithBias.dataSync()]).toEqual([1, 2, 3, 1, 2, 3]);
    innerWithBias.dispose();
  });

  const activations = ['linear', 'relu', 'relu6', 'leakyrelu', 'sigmoid', 'elu'] as const;
  for (const activation of activations) {
    it(`fused matMul with bias and ${activation}`, () => {
      const a = tf.mul(random([37, 24], 6), 0.3);
      const b = random([24, 19], 7);
      const bias = random([19], 8);
      compare(`fused ${activation}`, () => tf.fused.matMul({ a, b, bias, activation, leakyreluAlpha: 0.3 }));
      tf.dispose([a, b, bias]);
    });
  }

  it('fused matMul with flags, batches, a scalar bias and no bias (against cpu: stock wasm gets these wrong)', () => {
    const a = random([3, 16, 10], 9);
    const b = random([3, 12, 16], 10);
    const reference = 'cpu';
    compare('fused flags + batch', () => tf.fused.matMul({ a, b, transposeA: true, transposeB: true, bias: random([12], 11) }), { reference });
    compare('fused scalar bias', () => tf.fused.matMul({ a, b, transposeA: true, transposeB: true, bias: tf.tensor1d([0.5]) }), { reference });
    compare('fused without bias', () => tf.fused.matMul({ a, b, transposeA: true, transposeB: true, activation: 'relu' }), { reference });
    // The stock wasm kernel adds the bias wrongly to batched, transposed products (tfjs-backend-wasm 4.22), which is
    // why cpu is the reference here.
    uninstallBlasKernels();
    const bias = random([12], 11);
    const stock = tf.fused.matMul({ a, b, transposeA: true, transposeB: true, bias });
    const plain = tf.add(tf.matMul(a, b, true, true), bias);
    expect(Math.max(...tf.abs(tf.sub(stock, plain)).dataSync())).toBeGreaterThan(0.1);
    tf.dispose([stock, plain, bias]);
    tf.dispose([a, b]);
  });

  it('leaves prelu and int32 to the stock kernels', () => {
    const a = random([5, 4], 12);
    const b = random([4, 3], 13);
    compare('prelu', () => tf.fused.matMul({ a, b, activation: 'prelu', preluActivationWeights: tf.tensor1d([0.1, 0.2, 0.3]) }), { expectBlas: false });
    installBlasKernels(counted!);
    expect(() => tf.matMul(tf.ones([2, 2], 'int32'), tf.ones([2, 2], 'int32'))).toThrow(/non-float32/);
    tf.dispose([a, b]);
  });

  it('computes matMul gradients (flagged products) like the stock kernels', () => {
    const a = random([21, 14], 14);
    const b = random([14, 9], 15);
    const gradients = () => {
      const [gradA, gradB] = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.square(tf.matMul(x, y))))([a, b]) as [tf.Tensor, tf.Tensor];
      const joined = tf.concat([tf.reshape(gradA, [-1]), tf.reshape(gradB, [-1])]);
      tf.dispose([gradA, gradB]);
      return joined;
    };
    compare('gradients', gradients);
    tf.dispose([a, b]);
  });

  it('leaks no tensors', async () => {
    installBlasKernels(counted!);
    const a = random([3, 8, 6], 16);
    const b = random([6, 5], 17);
    const bias = random([5], 18);
    await expectNoLeakedTensors(() => {
      tf.dispose([tf.matMul(a, b), tf.fused.matMul({ a, b, bias, activation: 'relu' }), tf.matMul(a, a, true, false)]);
    });
    tf.dispose([a, b, bias]);
  });

  it('restores the stock kernels on uninstall', () => {
    installBlasKernels(counted!);
    expect(installedBlasLibrary()?.name).toBe(found!.name);
    uninstallBlasKernels();
    expect(installedBlasLibrary()).toBeNull();
    const callsBefore = sgemmCalls;
    tf.dispose(tf.matMul(random([4, 4], 19), random([4, 4], 20)));
    expect(sgemmCalls).toBe(callsBefore);
  });
});
