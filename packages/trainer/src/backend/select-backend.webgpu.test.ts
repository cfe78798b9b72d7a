import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { afterAll, describe, expect, it } from 'vitest';
import { selectBackend } from './select-backend';
import { setupTensorflow } from './setup-tensorflow';

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
