import * as tf from '@tensorflow/tfjs-core';
import { SyntheticShapes } from '@msn/data';
import { useBackend } from '@msn/test-utils';
import { beforeAll, describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '@msn/errors';
import { compareEncoders } from './compare-encoders';
import { pixelFeatures } from './embed-batches';

// Six classes (label = index mod 6): 10 training and 6 test images each.
const train = new SyntheticShapes({ length: 60, imageSize: 8, seed: 1 });
const test = new SyntheticShapes({ length: 36, imageSize: 8, seed: 2 });
const protocol = { train, test, imageSize: 8, normalize: null, k: 5, shots: [1, 2], seeds: [0, 1] };
const encoders = [{ name: 'raw pixels', embed: pixelFeatures }];

describe('compareEncoders', () => {
  beforeAll(() => useBackend('cpu'));

  it('scores class groups on their own test images: a group of every class is the whole row, a partition averages to it', async () => {
    const before = tf.memory().numTensors;
    const [row] = await compareEncoders({
      ...protocol,
      encoders,
      classGroups: [
        { name: 'all', classes: [0, 1, 2, 3, 4, 5] },
        { name: 'first', classes: [0, 1] },
        { name: 'rest', classes: [2, 3, 4, 5] },
      ],
    });
    expect(tf.memory().numTensors).toBe(before);
    const [all, first, rest] = row!.groups!;
    expect(all!.result).toEqual(row!.result);
    // 12 and 24 test images: the whole set's accuracies are the count-weighted means of the parts'.
    const weighted = (part: number, other: number) => (12 * part + 24 * other) / 36;
    expect(weighted(first!.result.knnAccuracy, rest!.result.knnAccuracy)).toBeCloseTo(row!.result.knnAccuracy, 12);
    row!.result.fewShot.forEach((shot, index) => {
      shot.accuracies.forEach((accuracy, seed) => {
        expect(weighted(first!.result.fewShot[index]!.accuracies[seed]!, rest!.result.fewShot[index]!.accuracies[seed]!)).toBeCloseTo(accuracy, 12);
      });
    });
  });

  it('keeps rows without groups when none are asked for, and names a group without test images', async () => {
    const [row] = await compareEncoders({ ...protocol, encoders });
    expect(row!.groups).toBeUndefined();
    await expect(compareEncoders({ ...protocol, encoders, classGroups: [{ name: 'missing', classes: [9] }] })).rejects.toThrow(InvalidArgumentError);
  });
});
