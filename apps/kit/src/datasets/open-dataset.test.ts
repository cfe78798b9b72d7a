import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SyntheticShapes } from '@msn/data';
import { afterAll, describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '@msn/errors';
import { FASHION_MNIST_FOLDER, openDataset } from './open-dataset';

const root = mkdtempSync(join(tmpdir(), 'msn-open-dataset-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('openDataset', () => {
  it('gives synthetic shapes with disjoint pre-training and evaluation sets', async () => {
    const data = openDataset({ name: 'synthetic', imageSize: 16, syntheticLength: 30, syntheticEvaluationLength: 12, seed: 2 });
    expect(data.train.length).toBe(30);
    expect([data.evaluation!.train.length, data.evaluation!.test.length]).toEqual([12, 12]);
    expect(data.imageSize).toBe(16);
    expect(data.classes).toHaveLength(6);
    const seeds = [data.train, data.evaluation!.train, data.evaluation!.test].map((set) => (set as SyntheticShapes).seed);
    expect(new Set(seeds).size).toBe(3);
    const [first, second] = await Promise.all([data.train.get(0), data.evaluation!.test.get(0)]);
    expect(Buffer.from(first!.image.data).equals(Buffer.from(second!.image.data))).toBe(false);
    expect(data.description).toMatch(/synthetic shapes 16×16: 30 training images, evaluation 12 \/ 12 \(6 classes\)/);
  });

  it.runIf(existsSync(FASHION_MNIST_FOLDER))("opens Debian's Fashion-MNIST with the train and t10k splits", () => {
    const data = openDataset({ name: 'fashion-mnist' });
    expect([data.train.length, data.evaluation!.test.length]).toEqual([60000, 10000]);
    expect(data.normalize.mean[0]).toBeCloseTo(0.286, 6);
  });

  it('splits a labelled image folder per class, reproducibly, and leaves an unlabelled one without evaluation', () => {
    const labelled = join(root, 'labelled');
    for (const [name, count] of [
      ['cat', 10],
      ['dog', 5],
    ] as const) {
      mkdirSync(join(labelled, name), { recursive: true });
      for (let index = 0; index < count; index++) writeFileSync(join(labelled, name, `${index}.png`), '');
    }
    const data = openDataset({ name: 'folder', path: labelled, folderTestFraction: 0.2 });
    expect(data.train.length).toBe(15);
    expect([data.evaluation!.train.length, data.evaluation!.test.length]).toEqual([12, 3]);
    const again = openDataset({ name: 'folder', path: labelled, folderTestFraction: 0.2 });
    const files = (set: unknown) => (set as { files: readonly string[] }).files;
    expect(files(again.evaluation!.test)).toEqual(files(data.evaluation!.test));
    expect(new Set([...files(data.evaluation!.train), ...files(data.evaluation!.test)]).size).toBe(15);
    const unlabelled = join(root, 'unlabelled');
    mkdirSync(unlabelled);
    writeFileSync(join(unlabelled, 'a.png'), '');
    const plain = openDataset({ name: 'folder', path: unlabelled });
    expect(plain.evaluation).toBeUndefined();
    expect(plain.description).toMatch(/no labels: no evaluation/);
  });

  it('names the missing data and how to provide it', () => {
    expect(() => openDataset({ name: 'folder' })).toThrow(/openDataset: invalid argument 'path' = undefined; expected the data folder of folder \(pass --data/);
    expect(() => openDataset({ name: 'folder', path: join(root, 'missing') })).toThrow(
      /'path' = ".*missing"; expected an existing folder with the folder data \(it does not exist; pass --data/,
    );
    expect(() => openDataset({ name: 'cifar10', path: join(root, 'missing') })).toThrow(
      /cifar10 data \(it does not exist; pass --data <folder with data_batch_1.bin/,
    );
    expect(() => openDataset({ name: 'fashion-mnist', path: join(root, 'missing') })).toThrow(/fashion-mnist data/);
    writeFileSync(join(root, 'file.txt'), '');
    expect(() => openDataset({ name: 'folder', path: join(root, 'file.txt') })).toThrow(/it is not a folder/);
    expect(() => openDataset({ name: 'imagenet' as never })).toThrow(/'name' = "imagenet"; expected one of synthetic, fashion-mnist, cifar10, folder/);
    expect(() => openDataset({ name: 'synthetic', imageSize: 4 })).toThrow(InvalidArgumentError);
    expect(() => openDataset({ name: 'folder', path: root, folderTestFraction: 1 })).toThrow(/'folderTestFraction' = 1/);
  });
});
