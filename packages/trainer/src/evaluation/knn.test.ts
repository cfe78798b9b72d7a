import * as tf from '@tensorflow/tfjs-core';
import { describeEachBackend, embeddedBackends, expectNoLeakedTensors } from '@msn/test-utils';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, ShapeError } from '@msn/errors';
import { knnClassify } from './knn';

/** Brute-force weighted k-NN in float64 (sort every similarity), the definition the chunked version must match. */
function bruteForce(train: number[][], labels: number[], test: number[][], k: number, temperature: number, classes: number): number[] {
  const unit = (row: number[]) => {
    const norm = Math.max(Math.hypot(...row), 1e-12);
    return row.map((value) => value / norm);
  };
  const trainUnit = train.map(unit);
  return test.map((row) => {
    const query = unit(row);
    const neighbours = trainUnit
      .map((candidate, index) => ({ index, similarity: candidate.reduce((sum, value, dim) => sum + value * query[dim]!, 0) }))
      .sort((left, right) => right.similarity - left.similarity)
      .slice(0, k);
    const scores = new Array<number>(classes).fill(0);
    for (const { index, similarity } of neighbours) scores[labels[index]!]! += Math.exp(similarity / temperature);
    return scores.indexOf(Math.max(...scores));
  });
}

describeEachBackend(embeddedBackends(), 'knnClassify', () => {
  it('weights votes by exp(similarity / T): two close neighbours outvote three distant ones', async () => {
    // Query along x. Class 1 has two vectors at ~8°; class 0 three at ~60°. With T = 0.07 the close ones win,
    // with a huge temperature every vote counts ~1 and the majority (class 0) wins.
    const train = tf.tensor2d([
      [1, 0.15],
      [1, -0.15],
      [0.5, 0.87],
      [0.5, -0.87],
      [0.5, 0.86],
    ]);
    const labels = [1, 1, 0, 0, 0];
    const query = tf.tensor2d([[1, 0]]);
    expect(Array.from((await knnClassify({ trainFeatures: train, trainLabels: labels, testFeatures: query, k: 5 })).predictions)).toEqual([1]);
    expect(Array.from((await knnClassify({ trainFeatures: train, trainLabels: labels, testFeatures: query, k: 5, temperature: 1e6 })).predictions)).toEqual([
      0,
    ]);
    tf.dispose([train, query]);
  });

  it('matches a brute-force float64 reference on random data, for any chunk size', async () => {
    const random = tf.randomNormal([120, 6], 0, 1, 'float32', 11);
    const values = (await random.array()) as number[][];
    random.dispose();
    const [trainRows, testRows] = [values.slice(0, 90), values.slice(90)];
    const labels = trainRows.map((row) => (row[0]! > 0 ? 1 : 0) + (row[1]! > 0 ? 2 : 0));
    const testLabels = testRows.map((row) => (row[0]! > 0 ? 1 : 0) + (row[1]! > 0 ? 2 : 0));
    const expected = bruteForce(trainRows, labels, testRows, 7, 0.1, 4);
    const [train, test] = [tf.tensor2d(trainRows), tf.tensor2d(testRows)];
    for (const chunkSize of [1, 7, 30, 1000]) {
      const result = await knnClassify({ trainFeatures: train, trainLabels: labels, testFeatures: test, testLabels, k: 7, temperature: 0.1, chunkSize });
      expect(Array.from(result.predictions)).toEqual(expected);
      expect(result.accuracy).toBe(expected.filter((label, index) => label === testLabels[index]).length / testRows.length);
    }
    tf.dispose([train, test]);
  });

  it('does not leak tensors', async () => {
    const train = tf.randomNormal([40, 5], 0, 1, 'float32', 1) as tf.Tensor2D;
    const test = tf.randomNormal([9, 5], 0, 1, 'float32', 2) as tf.Tensor2D;
    const labels = Array.from({ length: 40 }, (_, index) => index % 3);
    await expectNoLeakedTensors(async () => void (await knnClassify({ trainFeatures: train, trainLabels: labels, testFeatures: test, k: 4, chunkSize: 4 })));
    tf.dispose([train, test]);
  });
});

describe('knnClassify validation', () => {
  it('names the bad argument', async () => {
    const train = tf.zeros([4, 3]) as tf.Tensor2D;
    const test = tf.zeros([2, 3]) as tf.Tensor2D;
    const other = tf.zeros([2, 5]) as tf.Tensor2D;
    const labels = [0, 1, 0, 1];
    await expect(knnClassify({ trainFeatures: train, trainLabels: labels, testFeatures: test, k: 5 })).rejects.toThrow(
      /'k' = 5; expected <= the 4 training rows/,
    );
    await expect(knnClassify({ trainFeatures: train, trainLabels: labels, testFeatures: other })).rejects.toThrow(ShapeError);
    await expect(knnClassify({ trainFeatures: train, trainLabels: [0, 1], testFeatures: test, k: 1 })).rejects.toThrow(
      /2 trainLabels for 4 trainFeatures rows/,
    );
    await expect(knnClassify({ trainFeatures: train, trainLabels: [0, 1, 0.5, 1], testFeatures: test, k: 1 })).rejects.toThrow(InvalidArgumentError);
    await expect(knnClassify({ trainFeatures: train, trainLabels: labels, testFeatures: test, k: 1, temperature: 0 })).rejects.toThrow(/'temperature' = 0/);
    tf.dispose([train, test, other]);
  });
});
