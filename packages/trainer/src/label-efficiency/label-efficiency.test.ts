import * as tf from '@tensorflow/tfjs-core';
import { describeEachBackend, embeddedBackends, expectNoLeakedTensors } from '@msn/test-utils';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, ShapeError } from '@msn/errors';
import { embedBatches, pixelFeatures, type LabelledBatch } from './embed-batches';
import { evaluateLabelEfficiency, formatLabelEfficiencyTable } from './label-efficiency';

// Images whose class is which quarter of the image is bright, plus noise: separable from the pixels.
function quarterBatches(count: number, batchSize: number, seed: number): LabelledBatch[] {
  let state = seed;
  const random = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
  const batches: LabelledBatch[] = [];
  for (let start = 0; start < count; start += batchSize) {
    const size = Math.min(batchSize, count - start);
    const labels = Array.from({ length: size }, (_, row) => (start + row) % 4);
    const pixels = new Float32Array(size * 3 * 4 * 4);
    labels.forEach((label, row) => {
      for (let channel = 0; channel < 3; channel++) {
        for (let y = 0; y < 4; y++) {
          for (let x = 0; x < 4; x++) {
            const quarter = (y < 2 ? 0 : 2) + (x < 2 ? 0 : 1);
            pixels[((row * 3 + channel) * 4 + y) * 4 + x] = (quarter === label ? 1 : 0) + 0.3 * (random() - 0.5);
          }
        }
      }
    });
    batches.push({ views: [tf.tensor4d(pixels, [size, 3, 4, 4])], labels: tf.tensor1d(labels, 'int32') });
  }
  return batches;
}

describeEachBackend(embeddedBackends(), 'label-efficiency evaluation', () => {
  it('embeds batches in order, frees them, and evaluates separable features perfectly', async () => {
    const before = tf.memory().numTensors;
    const train = await embedBatches(quarterBatches(40, 16, 1), pixelFeatures);
    const test = await embedBatches(quarterBatches(20, 8, 2), pixelFeatures);
    expect(tf.memory().numTensors).toBe(before);
    expect(train.features.shape).toEqual([40, 48]);
    expect(Array.from(train.labels)).toEqual(Array.from({ length: 40 }, (_, row) => row % 4));
    const result = await evaluateLabelEfficiency({ train, test, k: 5, shots: [1, 5], seeds: [0, 1, 2] });
    expect(result.knnAccuracy).toBe(1);
    expect(result.fewShot.map(({ shots }) => shots)).toEqual([1, 5]);
    for (const entry of result.fewShot) {
      expect(entry.accuracies).toHaveLength(3);
      expect(entry.mean).toBe(1);
      expect(entry.std).toBe(0);
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it('is leak-free and leaves batches alone with disposeBatches: false', async () => {
    const batches = quarterBatches(8, 4, 3);
    await expectNoLeakedTensors(async () => {
      await embedBatches(batches, pixelFeatures, { disposeBatches: false });
    });
    expect(batches.every((batch) => !batch.views[0]!.isDisposed)).toBe(true);
    tf.dispose(batches.flatMap((batch) => [...batch.views, batch.labels!]));
  });

  it('rejects unlabelled batches and features of the wrong shape, freeing the batch', async () => {
    const before = tf.memory().numTensors;
    const unlabelled = [{ views: [tf.zeros([2, 3, 4, 4]) as tf.Tensor4D] }];
    await expect(embedBatches(unlabelled, pixelFeatures)).rejects.toThrow(/embedBatches: invalid argument 'batch.labels' = "missing"; expected 2 class labels/);
    await expect(embedBatches(quarterBatches(4, 4, 1), (images) => tf.reshape(images, [-1, 2]) as tf.Tensor2D)).rejects.toThrow(ShapeError);
    await expect(embedBatches(quarterBatches(4, 4, 1), pixelFeatures, { view: 1 })).rejects.toThrow(/'batch.views\[1\]' = "missing"/);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('evaluateLabelEfficiency arguments and the table', () => {
  it('rejects empty sets', async () => {
    const empty = { features: { data: new Float32Array(0), shape: [0, 3] as [number, number] }, labels: new Int32Array(0) };
    await expect(evaluateLabelEfficiency({ train: empty, test: empty })).rejects.toThrow(InvalidArgumentError);
  });

  it('formats one row per encoder with k-NN and mean ± std per shot count', () => {
    const result = (knn: number, mean: number) => ({ knnAccuracy: knn, fewShot: [1, 10].map((shots) => ({ shots, accuracies: [mean], mean, std: 0.0123 })) });
    const table = formatLabelEfficiencyTable([
      { name: 'MSN (trained)', result: result(0.7134, 0.5) },
      { name: 'raw pixels', result: result(0.857, 0.685) },
    ]);
    expect(table.split('\n')).toEqual([
      'encoder          k-NN       1-shot      10-shot',
      'MSN (trained)    71.3   50.0 ± 1.2   50.0 ± 1.2',
      'raw pixels       85.7   68.5 ± 1.2   68.5 ± 1.2',
    ]);
  });
});
