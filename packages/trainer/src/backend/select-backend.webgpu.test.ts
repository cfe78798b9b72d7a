import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { afterAll, describe, expect, it } from 'vitest';
import { selectBackend } from './select-backend';
import { setupTensorflow } from './setup-tensorflow';
import { FUSED_KERNEL_NAMES } from './webgpu-kernels/register-webgpu-kernels';
import { tiledMatMulKernelsRegistered } from './webgpu-kernels/tiled-mat-mul-kernels';

// Runs on Mesa through Dawn's GL ES backend (no GPU needed); skipped where Dawn finds no adapter at all.
process.env.DAWN_BACKEND ??= 'opengles';
const choice = await setupTensorflow({ backend: 'webgpu', log: false }).catch((error: unknown) => {
  console.warn(`webgpu tests skipped: ${error instanceof Error ? error.message : String(error)}`);
  return undefined;
});

describe.skipIf(choice === undefined)('selectBackend webgpu', () => {
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it('activates webgpu and names the adapter', () => {
    expect(tf.getBackend()).toBe('webgpu');
    expect(choice?.description).toMatch(/^backend: webgpu \(tfjs-backend-webgpu 4\.22\.0, adapter .+\)$/);
  });

  it('registers the fused kernels, and the tiled products only when asked (MSN_WEBGPU_TILED_MATMUL=1)', async () => {
    expect(FUSED_KERNEL_NAMES.every((name) => tf.getKernel(name, 'webgpu') !== undefined)).toBe(true);
    expect(tiledMatMulKernelsRegistered()).toBe(false);
    process.env.MSN_WEBGPU_TILED_MATMUL = '1';
    try {
      const tiled = await setupTensorflow({ backend: 'webgpu', log: false });
      expect(tiled.description).toMatch(/, tiled matrix products\)$/);
      expect(tiledMatMulKernelsRegistered()).toBe(true);
      process.env.MSN_WEBGPU_TILED_MATMUL = 'yes';
      await expect(setupTensorflow({ backend: 'webgpu', log: false })).rejects.toThrow(/MSN_WEBGPU_TILED_MATMUL.*yes.*'1'/);
    } finally {
      delete process.env.MSN_WEBGPU_TILED_MATMUL;
    }
    await setupTensorflow({ backend: 'webgpu', log: false });
    expect(tiledMatMulKernelsRegistered()).toBe(false);
  });

  it('computes a 128² matmul and its gradient like the cpu backend', async () => {
    const a = tf.randomNormal([128, 128], 0, 1, 'float32', 1);
    const b = tf.randomNormal([128, 128], 0, 1, 'float32', 2);
    const grad = tf.grad((x: tf.Tensor) => tf.sum(tf.square(tf.matMul(x, b))));
    const onGpu = [await tf.matMul(a, b).data(), await grad(a).data()];
    const [hostA, hostB] = [await a.data(), await b.data()];
    await tf.setBackend('cpu');
    const [ca, cb] = [tf.tensor2d(hostA, [128, 128]), tf.tensor2d(hostB, [128, 128])];
    const cgrad = tf.grad((x: tf.Tensor) => tf.sum(tf.square(tf.matMul(x, cb))));
    const onCpu = [await tf.matMul(ca, cb).data(), await cgrad(ca).data()];
    for (const [index, want] of onCpu.entries()) {
      const got = onGpu[index]!;
      const scale = Math.max(...Array.from(want, Math.abs));
      const worst = Math.max(...Array.from(want, (value, i) => Math.abs(value - got[i]!)));
      expect(worst).toBeLessThan(1e-5 * scale);
    }
  });
});

describe('selectBackend automatic choice', () => {
  it('never picks a software webgpu adapter', async () => {
    process.env.DAWN_BACKEND = 'opengles';
    const auto = await selectBackend({ log: false });
    expect(auto.name).not.toBe('webgpu');
  });
});
