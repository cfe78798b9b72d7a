import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '@msn/test-utils';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '@msn/errors';
import { fewShotEvaluation } from './few-shot';
import { createRandom } from '@msn/random';

/** Gaussian clusters around random class centres (seeded), as [rows, dims] values plus labels. */
function clusters(classes: number, perClass: number, dims: number, noise: number, seed: number) {
  const random = createRandom(seed);
  const gaussian = () => random.nextNormal();
  const centres = Array.from({ length: classes }, () => Array.from({ length: dims }, gaussian));
  const data: number[] = [];
  const labels: number[] = [];
  for (let label = 0; label < classes; label++) {
    for (let item = 0; item < perClass; item++) {
      data.push(...centres[label]!.map((value) => value + noise * gaussian()));
      labels.push(label);
    }
  }
  return { features: { data, shape: [classes * perClass, dims] as const }, labels };
}

describe('fewShotEvaluation', () => {
  it('reaches perfect accuracy on well-separated clusters, for every shot count and seed', async () => {
    const train = clusters(4, 15, 6, 0.05, 1);
    const test = clusters(4, 10, 6, 0.05, 1); // same centres (same seed), different order of draws is irrelevant
    const results = await fewShotEvaluation({
      trainFeatures: train.features,
      trainLabels: train.labels,
      testFeatures: test.features,
      testLabels: test.labels,
      shots: [1, 5],
      seeds: [0, 1, 2],
    });
    expect(results.map(({ shots, accuracies, mean, std }) => ({ shots, accuracies, mean, std }))).toEqual([
      { shots: 1, accuracies: [1, 1, 1], mean: 1, std: 0 },
      { shots: 5, accuracies: [1, 1, 1], mean: 1, std: 0 },
    ]);
  });

  it('is reproducible for given seeds, draws different splits for different seeds, and improves with shots', async () => {
    const pool = clusters(5, 40, 8, 1.6, 7);
    const options = {
      trainFeatures: pool.features,
      trainLabels: pool.labels,
      testFeatures: pool.features,
      testLabels: pool.labels,
      shots: [1, 10],
      seeds: [0, 1, 2, 3],
    };
    const [first, second] = [await fewShotEvaluation(options), await fewShotEvaluation(options)];
    expect(second).toEqual(first);
    expect(new Set(first[0]!.accuracies).size).toBeGreaterThan(1);
    expect(first[1]!.mean).toBeGreaterThan(first[0]!.mean);
    const { accuracies, mean, std } = first[0]!;
    expect(mean).toBeCloseTo(accuracies.reduce((sum, value) => sum + value) / 4, 12);
    expect(std).toBeCloseTo(Math.sqrt(accuracies.reduce((sum, value) => sum + (value - mean) ** 2, 0) / 4), 12);
  });

  it('accepts tensors and labels as tensors', async () => {
    await useBackend('cpu');
    const pool = clusters(3, 6, 4, 0.1, 3);
    const features = tf.tensor2d(pool.features.data, [18, 4]);
    const labels = tf.tensor1d(pool.labels, 'int32');
    const [result] = await fewShotEvaluation({
      trainFeatures: features,
      trainLabels: labels,
      testFeatures: features,
      testLabels: labels,
      shots: [2],
      seeds: [0],
    });
    expect(result!.mean).toBe(1);
    tf.dispose([features, labels]);
  });

  it('explains when a class has fewer examples than the shots asked for', async () => {
    const pool = clusters(3, 4, 2, 0.1, 3);
    const options = { trainFeatures: pool.features, trainLabels: pool.labels, testFeatures: pool.features, testLabels: pool.labels };
    await expect(fewShotEvaluation({ ...options, shots: [5] })).rejects.toThrow(InvalidArgumentError);
    await expect(fewShotEvaluation({ ...options, shots: [5] })).rejects.toThrow(/'shots' = 5; expected at most the 4 training examples of class 0/);
    await expect(fewShotEvaluation({ ...options, shots: [0] })).rejects.toThrow(/'shots\[0\]' = 0/);
    await expect(fewShotEvaluation({ ...options, testLabels: [0, 1] })).rejects.toThrow(/2 testLabels for 12 testFeatures rows/);
  });
});
