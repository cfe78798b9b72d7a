// The MSN step on webgpu stays on the device: no synchronous reads, two small asynchronous downloads, no leaks.
import * as tf from '@tensorflow/tfjs-core';
import { describeEachBackend, expectNoLeakedTensors } from '@msn/test-utils';
import { beforeAll, expect, it } from 'vitest';
import { watchDeviceErrors } from '../backend/webgpu-errors';
import { DeviceError } from '@msn/errors';
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
  // What selectBackend does for webgpu (useBackend is the test utilities' plain tf.setBackend).
  beforeAll(() => watchDeviceErrors((tf.backend() as unknown as { device: Parameters<typeof watchDeviceErrors>[0] }).device));

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

  it('fails the step when the GPU rejected work, naming the cause, and the next step runs', async () => {
    const model = new MSNModel({ config, seed: 3 });
    const optimizer = model.createOptimizer({ learningRate: 1e-3, weightDecay: 0.04 });
    const batch = makeBatch(20);
    try {
      // tf.addN over 10 tensors compiles a shader with 11 storage buffers; WebGPU allows 8 and drops the commands.
      const invalid = () => tf.dispose(tf.addN(Array.from({ length: 10 }, (_, index) => tf.fill([4], index))));
      const first = msnTrainingStep(model, batch, { optimizer, inspect: invalid });
      await expect(first).rejects.toThrow(DeviceError);
      await expect(first).rejects.toThrow(
        /^webgpu: The number of storage buffers \(11\) in the Compute stage exceeds the maximum per-stage limit \(8\).*results since then are invalid\)$/,
      );
      // tfjs caches the pipeline: the next use reports the invalid pipeline itself.
      await expect(msnTrainingStep(model, batch, { optimizer, inspect: invalid })).rejects.toThrow(/^webgpu: \[Invalid ComputePipeline "AddNPackedProgram"\]/);
      const next = await msnTrainingStep(model, batch, { optimizer });
      expect(Number.isFinite(next.loss)).toBe(true);
    } finally {
      tf.dispose(Object.values(batch));
      optimizer.dispose();
      model.dispose();
    }
  });
});
