import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FASHION_MNIST_CLASSES, IdxDataset } from '@msn/data';
import { describe, expect, it } from 'vitest';

const folder = join(dirname(fileURLToPath(import.meta.url)), '..', 'data', 'fashion-mnist-6k');

describe('the main job data set (data/fashion-mnist-6k)', () => {
  it('holds 600 training and 100 test images of each of the 10 classes, 28 × 28', async () => {
    for (const [split, perClass] of [
      ['train', 600],
      ['t10k', 100],
    ] as const) {
      const dataset = IdxDataset.fromFolder(folder, { split, classes: FASHION_MNIST_CLASSES });
      expect(dataset.length).toBe(10 * perClass);
      const counts = new Array(10).fill(0);
      for (let index = 0; index < dataset.length; index += 1) counts[(await dataset.get(index)).label!]++;
      expect(counts).toEqual(new Array(10).fill(perClass));
      const { image } = await dataset.get(0);
      expect([image.width, image.height]).toEqual([28, 28]);
    }
  });
});
