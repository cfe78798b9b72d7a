import { describe, expect, it } from 'vitest';
import { datasetLabels } from './dataset-labels';
import { InvalidArgumentError } from '@msn/errors';
import type { ImageDataset } from './image-dataset';
import { LongTailedSubset, longTailClassSizes } from './long-tailed-subset';
import { SyntheticShapes } from './synthetic-shapes';

// 6 classes of 100 images (label = index mod 6); generation is lazy, so nothing is drawn here.
const balanced = new SyntheticShapes({ length: 600, imageSize: 8, seed: 3 });

function countLabels(dataset: ImageDataset, classes: number): number[] {
  const counts = new Array<number>(classes).fill(0);
  for (const label of datasetLabels('test', dataset)) counts[label]!++;
  return counts;
}

describe('longTailClassSizes', () => {
  it('gives the documented ten-class, ratio-100 tail (a power law of exponent 2)', () => {
    expect(longTailClassSizes(10, 6000, 100)).toEqual([6000, 1500, 667, 375, 240, 167, 122, 94, 74, 60]);
  });

  it('follows largest · (r + 1)^(−ln ratio / ln C), falls monotonically and keeps the ratio', () => {
    for (const [classes, largest, ratio] of [
      [6, 100, 10],
      [10, 5000, 50],
      [3, 999, 4],
    ] as const) {
      const sizes = longTailClassSizes(classes, largest, ratio);
      const exponent = Math.log(ratio) / Math.log(classes);
      sizes.forEach((size, rank) => expect(Math.abs(size - largest * (rank + 1) ** -exponent)).toBeLessThanOrEqual(0.5));
      for (let rank = 1; rank < classes; rank++) expect(sizes[rank]).toBeLessThanOrEqual(sizes[rank - 1]!);
      expect(sizes[0]! / sizes[classes - 1]!).toBeCloseTo(ratio, 0);
    }
    expect(longTailClassSizes(4, 7, 1)).toEqual([7, 7, 7, 7]);
    expect(longTailClassSizes(10, 3, 1000)).toEqual([3, 1, 1, 1, 1, 1, 1, 1, 1, 1]);
  });

  it('names a bad argument', () => {
    expect(() => longTailClassSizes(10, 100, 0.5)).toThrow(/ratio.*0\.5.*>= 1/s);
    expect(() => longTailClassSizes(1, 100, 10)).toThrow(InvalidArgumentError);
  });
});

describe('LongTailedSubset', () => {
  it("keeps each class at its rank's size, in a seeded class order, every class present", () => {
    const subset = LongTailedSubset.from(balanced, { ratio: 10, seed: 5 });
    const sizes = longTailClassSizes(6, 100, 10);
    expect([...subset.classOrder].sort()).toEqual([0, 1, 2, 3, 4, 5]);
    subset.classOrder.forEach((label, rank) => expect(subset.classCounts[label]).toBe(sizes[rank]));
    expect(countLabels(subset, 6)).toEqual(subset.classCounts);
    expect(subset.length).toBe(sizes.reduce((sum, size) => sum + size, 0));
    expect(new Set(subset.indices).size).toBe(subset.length);
    expect(Math.min(...subset.classCounts)).toBeGreaterThan(0);
  });

  it('is reproducible: the same seed the same images, another seed another head', () => {
    const first = LongTailedSubset.from(balanced, { ratio: 10, seed: 5 });
    expect(LongTailedSubset.from(balanced, { ratio: 10, seed: 5 }).indices).toEqual(first.indices);
    const orders = new Set([0, 1, 2, 3, 4, 5, 6, 7].map((seed) => LongTailedSubset.from(balanced, { ratio: 10, seed }).classOrder.join()));
    expect(orders.size).toBeGreaterThan(4);
  });

  it('splits the ranks into head, medium and tail thirds', () => {
    const subset = LongTailedSubset.from(balanced, { ratio: 10, seed: 1 });
    const groups = subset.groups();
    expect(groups.map((group) => group.name)).toEqual(['head', 'medium', 'tail']);
    expect(groups.flatMap((group) => group.classes)).toEqual([...subset.classOrder]);
    expect(groups.map((group) => group.classes.length)).toEqual([2, 2, 2]);
  });

  it('reads the parent images and labels, and ratio 1 keeps every image of a balanced set', async () => {
    const subset = LongTailedSubset.from(balanced, { ratio: 10, seed: 2, largest: 50 });
    expect(Math.max(...subset.classCounts)).toBe(50);
    const sample = await subset.get(3);
    expect(sample).toEqual(await balanced.get(subset.indices[3]!));
    expect(sample!.label).toBe(subset.labelAt(3));
    expect(LongTailedSubset.from(balanced, { ratio: 1 }).length).toBe(600);
  });

  it('names a bad argument: largest above the smallest class, unknown option, unlabelled parent', () => {
    expect(() => LongTailedSubset.from(balanced, { ratio: 10, largest: 101 })).toThrow(/largest.*101.*at most 100/s);
    expect(() => LongTailedSubset.from(balanced, { ratio: 10, sorted: true } as never)).toThrow(InvalidArgumentError);
    const unlabelled: ImageDataset = { length: 3, get: async () => null };
    expect(() => LongTailedSubset.from(unlabelled, { ratio: 10 })).toThrow(/labelAt/);
  });
});
