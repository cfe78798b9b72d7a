import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeCifar, gzip } from './__fixtures__/data-files';
import { CIFAR10_CLASSES, Cifar10Dataset } from './cifar10-dataset';
import { DataFileError } from '@msn/errors';

const folder = mkdtempSync(join(tmpdir(), 'msn-cifar-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

const pixel = (record: number) => (x: number, y: number, channel: number) => (record * 50 + channel * 20 + x + y) % 256;
const batch = (first: number, labels: number[]) => encodeCifar(labels.map((label, offset) => ({ label, pixel: pixel(first + offset) })));

const root = join(folder, 'cifar-10-batches-bin');
mkdirSync(root);
writeFileSync(join(root, 'data_batch_1.bin'), batch(0, [3, 9]));
writeFileSync(join(root, 'data_batch_2.bin'), batch(2, [0]));
writeFileSync(join(root, 'test_batch.bin'), gzip(batch(3, [7])));

describe('Cifar10Dataset', () => {
  it('reads the train split of a folder in file order, converting planes to interleaved RGB', async () => {
    const dataset = new Cifar10Dataset(root);
    expect(dataset.length).toBe(3);
    expect(dataset.classes).toEqual(CIFAR10_CLASSES);
    const sample = await dataset.get(1);
    expect(sample.label).toBe(9);
    expect(sample.image).toMatchObject({ width: 32, height: 32, channels: 3 });
    // Pixel (x = 2, y = 1) of record 1: channel c holds (50 + 20c + 3) % 256.
    const offset = (1 * 32 + 2) * 3;
    expect(Array.from(sample.image.data.subarray(offset, offset + 3))).toEqual([53, 73, 93]);
    expect(dataset.getSync(2).label).toBe(0);
  });

  it('reads the test split, a single (gzipped) file, a list of files, and class names from batches.meta.txt', () => {
    expect(new Cifar10Dataset(root, { split: 'test' }).getSync(0).label).toBe(7);
    expect(new Cifar10Dataset(join(root, 'test_batch.bin')).length).toBe(1);
    expect(new Cifar10Dataset([join(root, 'data_batch_2.bin'), join(root, 'test_batch.bin')]).length).toBe(2);
    const named = join(folder, 'named');
    mkdirSync(named);
    writeFileSync(join(named, 'test_batch.bin'), batch(0, [1]));
    writeFileSync(join(named, 'batches.meta.txt'), 'cats\ndogs\n\n');
    expect(new Cifar10Dataset(named, { split: 'test' }).classes).toEqual(['cats', 'dogs']);
  });

  it('rebuilds from its source sharing the records', () => {
    const dataset = new Cifar10Dataset(root);
    const source = dataset.toSource();
    const rebuilt = Cifar10Dataset.fromSource(source as Extract<typeof source, { kind: 'cifar10' }>);
    expect(rebuilt.getSync(1)).toEqual(dataset.getSync(1));
  });

  describe('bad input names the file', () => {
    it('truncated record', () => {
      const truncated = join(folder, 'truncated.bin');
      writeFileSync(truncated, batch(0, [1, 2]).subarray(0, 3073 + 100));
      expect(() => new Cifar10Dataset(truncated)).toThrow(DataFileError);
      expect(() => new Cifar10Dataset(truncated)).toThrow(
        new RegExp(`'${truncated}' at byte 3073: truncated: 3173 bytes is not a multiple of the 3073-byte record \\(record 1 is incomplete\\)`),
      );
    });

    it('empty file, missing path, folder without the split, label outside the classes', () => {
      const empty = join(folder, 'empty.bin');
      writeFileSync(empty, new Uint8Array(0));
      expect(() => new Cifar10Dataset(empty)).toThrow(`Cifar10Dataset: '${empty}': is empty`);
      expect(() => new Cifar10Dataset(join(folder, 'missing'))).toThrow(/missing': does not exist/);
      expect(() => new Cifar10Dataset([join(folder, 'missing.bin')])).toThrow(/missing.bin': file does not exist/);
      const bare = join(folder, 'bare');
      mkdirSync(bare);
      expect(() => new Cifar10Dataset(bare)).toThrow(/bare': holds none of data_batch_1.bin/);
      const badLabel = join(folder, 'bad-label.bin');
      writeFileSync(badLabel, batch(0, [4, 12]));
      expect(() => new Cifar10Dataset(badLabel)).toThrow(/at byte 3073: label 12 of record 1 is outside the 10 classes/);
    });
  });

  it('rejects bad options', () => {
    expect(() => new Cifar10Dataset(root, { split: 'val' as 'test' })).toThrow(/'split' = "val"; expected one of "train", "test"/);
    expect(() => new Cifar10Dataset([])).toThrow(/'path' = \[\]/);
  });
});
