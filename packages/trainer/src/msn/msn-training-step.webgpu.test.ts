// The MSN step on webgpu stays on the device: no synchronous reads, two small asynchronous downloads, no leaks.
import * as tf from '@tensorflow/tfjs-core';
import { describeEachBackend, expectNoLeakedTensors } from '@msn/test-utils';
import { expect, it } from 'vitest';
import { MSNModel } from './msn-model';
import { msnTrainingStep, type MSNBatch } from './msn-training-step';

const config = {
  vit: { imageSize: 8, patchSize: 4, numLayers: 1, numHeads: 2, hiddenDim: 8, mlpDim: 16 },
  head: { hiddenDim: 16, outputDim: 8 },
  numPrototypes: 6,
  maskRatio: 0.3,
};

function makeBatch(seed: number): MSNBatch & { focal: tf.Tensor4D } {
  return {
    targets: tf.randomNormal<tf.Rank.R4>([4, 3, 8, 8], 0, 1, 'float32', seed),
    anchors: tf.randomNormal<tf.Rank.R4>([4, 3, 8, 8], 0, 1, 'float32', seed + 1),
    focal: tf.randomNormal<tf.Rank.R4>([8, 3, 4, 4], 0, 1, 'float32', seed + 2),
  };
}

// The webgpu backend's two ways to the host: readSync (needs OffscreenCanvas, absent in Node) and getBufferData
// (copy to a mappable buffer, awaited by read()). Counted by wrapping them on the backend object.
function countDownloads(): { counts: { sync: number; buffer: number }; restore: () => void } {
  const backend = tf.backend() as unknown as Record<string, (...args: unknown[]) => unknown>;
  const original = { readSync: backend.readSync!, getBufferData: backend.getBufferData! };
  const counts = { sync: 0, buffer: 0 };
  backend.readSync = function (this: unknown, ...args: unknown[]) {
    counts.sync += 1;
    return original.readSync.apply(this, args);
  };
  backend.getBufferData = function (this: unknown, ...args: unknown[]) {
    counts.buffer += 1;
    return original.getBufferData.apply(this, args);
  };
  return { counts, restore: () => Object.assign(backend, original) };
}

describeEachBackend(process.env.MSN_TEST_WEBGPU === '1' ? ['webgpu'] : [], 'msnTrainingStep on the device', () => {
  it('reads nothing synchronously and downloads only the step summary and the loss input flags, leak-free', async () => {
    const model = new MSNModel({ config, seed: 1 });
    const optimizer = model.createOptimizer({ learningRate: 1e-3, weightDecay: 0.04 });
    const batch = makeBatch(10);
    try {
      await msnTrainingStep(model, batch, { optimizer, maxGradNorm: 3 });
      const { counts, restore } = countDownloads();
      const steps = 3;
      try {
        await expectNoLeakedTensors(async () => {
          const result = await msnTrainingStep(model, batch, { optimizer, maxGradNorm: 3 });
          expect(Number.isFinite(result.loss)).toBe(true);
        }, steps - 1);
      } finally {
        restore();
      }
      expect(counts.sync).toBe(0);
      // Per step: one summary (loss, parts, norm, health) and the loss's finiteness flags (three numbers).
      expect(counts.buffer).toBe(2 * steps);
    } finally {
      tf.dispose(Object.values(batch));
      optimizer.dispose();
      model.dispose();
    }
  });

});
