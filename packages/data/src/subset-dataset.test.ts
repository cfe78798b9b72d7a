import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '@msn/test-utils';
import { beforeAll, describe, expect, it } from 'vitest';
import { DataLoader } from './data-loader';
import { InvalidArgumentError } from '@msn/errors';
import type { ImageDataset } from './image-dataset';
import { PlainTransform } from './plain-transform';
import { SubsetDataset } from './subset-dataset';
import { SyntheticShapes } from './synthetic-shapes';

const shapes = new SyntheticShapes({ length: 30, imageSize: 8, seed: 4 });

describe('SubsetDataset', () => {
  beforeAll(() => useBackend('cpu'));

  it('reads the parent images at its indices, with the parent labels and classes', async () => {
    const subset = new SubsetDataset(shapes, [7, 2, 19]);
    expect(subset.length).toBe(3);
    expect(subset.classes).toEqual(shapes.classes);
    for (const [position, index] of [7, 2, 19].entries()) {
      expect(await subset.get(position)).toEqual(await shapes.get(index));
    }
    await expect(subset.get(3)).rejects.toThrow(InvalidArgumentError);
  });

  it('draws a seeded random subset: same seed same images, another seed others, no repeats', () => {
    const first = SubsetDataset.random(shapes, 10, { seed: 1 });
    expect(first.indices).toEqual(SubsetDataset.random(shapes, 10, { seed: 1 }).indices);
    expect(first.indices).not.toEqual(SubsetDataset.random(shapes, 10, { seed: 2 }).indices);
    expect(new Set(first.indices).size).toBe(10);
    expect([...first.indices].sort((a, b) => a - b)).toEqual(first.indices);
    expect(SubsetDataset.random(shapes, 30).indices).toEqual(Array.from({ length: 30 }, (_, index) => index));
  });

  it('rebuilds in worker threads: the same batches with and without workers', async () => {
    const subset = SubsetDataset.random(shapes, 12, { seed: 3 });
    const transform = new PlainTransform({ size: 8, normalize: null });
    const read = async (workers: number) => {
      const values: number[][] = [];
      for await (const batch of new DataLoader(subset, { batchSize: 4, transform, workers })) {
        values.push([...(await batch.views[0]!.data()), ...(await batch.labels!.data())]);
        tf.dispose([...batch.views, batch.labels!]);
      }
      return values;
    };
    expect(await read(1)).toEqual(await read(0));
  });

  it('decodes on the loader thread when the parent has no worker recipe', () => {
    const custom: ImageDataset = { length: 3, get: (index) => shapes.get(index) };
    expect(new SubsetDataset(custom, [0, 2]).toSource).toBeUndefined();
  });

  it('rejects indices outside the parent, repeated ones and sizes that do not fit', () => {
    expect(() => new SubsetDataset(shapes, [0, 30])).toThrow(/invalid argument 'indices' = 30; expected integers in \[0, 29\]/);
    expect(() => new SubsetDataset(shapes, [1, 1])).toThrow(/expected each index once/);
    expect(() => SubsetDataset.random(shapes, 31)).toThrow(/'size' = 31; expected an integer in \[1, 30\]/);
    expect(() => SubsetDataset.random(shapes, 3, { seed: -1 })).toThrow("SubsetDataset.random: invalid argument 'seed' = -1; expected an integer >= 0");
  });
});
