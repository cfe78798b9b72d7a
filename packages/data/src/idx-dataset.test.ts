import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeIdx, gzip } from './__fixtures__/data-files';
import { DataFileError, InvalidArgumentError } from '@msn/errors';
import { FASHION_MNIST_CLASSES, IdxDataset } from './idx-dataset';

const folder = mkdtempSync(join(tmpdir(), 'msn-idx-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

function write(name: string, bytes: Uint8Array): string {
  const path = join(folder, name);
  writeFileSync(path, bytes);
  return path;
}

// 3 images of 2×4: pixel value = 10·image + position.
const pixels = Array.from({ length: 3 * 8 }, (_, index) => 10 * Math.floor(index / 8) + (index % 8));
const images = write('train-images-idx3-ubyte', encodeIdx([3, 2, 4], pixels));
const labels = write('train-labels-idx1-ubyte.gz', gzip(encodeIdx([3], [2, 0, 1])));

describe('IdxDataset', () => {
  it('reads plain and gzipped IDX files, RGB by default', async () => {
    const dataset = new IdxDataset({ images, labels });
    expect(dataset.length).toBe(3);
    const sample = await dataset.get(1);
    expect(sample.label).toBe(0);
    expect(sample.image).toMatchObject({ width: 4, height: 2, channels: 3 });
    expect(Array.from(sample.image.data.subarray(0, 6))).toEqual([10, 10, 10, 11, 11, 11]);
    expect(dataset.getSync(2).label).toBe(1);
    expect([0, 1, 2].map((index) => dataset.labelAt(index))).toEqual([2, 0, 1]);
    expect(() => dataset.labelAt(3)).toThrow(/index/);
  });

  it('keeps one channel on request and finds the standard file names in a folder', () => {
    const dataset = IdxDataset.fromFolder(folder, { channels: 1, classes: ['a', 'b', 'c'] });
    const sample = dataset.getSync(2);
    expect(sample.image.channels).toBe(1);
    expect(Array.from(sample.image.data)).toEqual([20, 21, 22, 23, 24, 25, 26, 27]);
    expect(sample.label).toBe(1);
    expect(dataset.classes).toEqual(['a', 'b', 'c']);
  });

  it('has no labels without a labels file', () => {
    const sample = new IdxDataset({ images }).getSync(0);
    expect(sample.label).toBeUndefined();
    expect(new IdxDataset({ images }).labelAt(0)).toBeUndefined();
  });

  it('rebuilds from its source sharing the pixel memory', () => {
    const dataset = new IdxDataset({ images, labels });
    const source = dataset.toSource();
    expect(source.kind === 'idx' && source.images.buffer instanceof SharedArrayBuffer).toBe(true);
    const rebuilt = IdxDataset.fromSource(source as Extract<typeof source, { kind: 'idx' }>);
    expect(rebuilt.getSync(2)).toEqual(dataset.getSync(2));
  });

  describe('bad input names the file', () => {
    it('missing file', () => {
      const missing = join(folder, 'nope-images');
      expect(() => new IdxDataset({ images: missing })).toThrow(DataFileError);
      expect(() => new IdxDataset({ images: missing })).toThrow(`IdxDataset: '${missing}': file does not exist`);
    });

    it('truncated data, header and gzip stream', () => {
      const truncated = write('truncated', encodeIdx([3, 2, 4], pixels).subarray(0, 30));
      expect(() => new IdxDataset({ images: truncated })).toThrow(
        new RegExp(`'${truncated}' at byte 30: truncated: 30 bytes, the header \\[3,2,4\\] needs 40`),
      );
      const shortHeader = write('short-header', encodeIdx([3, 2, 4], []).subarray(0, 9));
      expect(() => new IdxDataset({ images: shortHeader })).toThrow(/truncated: 9 bytes, the header alone needs 16/);
      const tiny = write('tiny', new Uint8Array([0, 0]));
      expect(() => new IdxDataset({ images: tiny })).toThrow(/truncated: 2 bytes, shorter than the 4-byte IDX magic number/);
      const brokenGzip = write('broken.gz', gzip(encodeIdx([3, 2, 4], pixels)).subarray(0, 20));
      expect(() => new IdxDataset({ images: brokenGzip })).toThrow(new RegExp(`'${brokenGzip}': is not valid gzip`));
    });

    it('not IDX, wrong element type, wrong rank, trailing bytes', () => {
      const text = write('text', Buffer.from('hello world, not idx'));
      expect(() => new IdxDataset({ images: text })).toThrow(/at byte 0: not an IDX file: magic number starts 104 101/);
      const floats = write('floats', encodeIdx([1, 1, 1], [0, 0, 0, 0], 0x0d));
      expect(() => new IdxDataset({ images: floats })).toThrow(/at byte 2: unsupported IDX element type 0x0d/);
      expect(() => new IdxDataset({ images: labels })).toThrow(/has 1 dimensions, expected 3/);
      const trailing = write('trailing', Buffer.concat([encodeIdx([3, 2, 4], pixels), Buffer.from([1, 2])]));
      expect(() => new IdxDataset({ images: trailing })).toThrow(/at byte 40: has 2 unexpected bytes after the data of shape \[3,2,4\]/);
      const empty = write('empty-set', encodeIdx([0, 2, 4], []));
      expect(() => new IdxDataset({ images: empty })).toThrow(/holds no images \(shape \[0, 2, 4\]\)/);
    });

    it('labels that do not fit the images or the classes', () => {
      const fewer = write('fewer-labels', encodeIdx([2], [0, 1]));
      expect(() => new IdxDataset({ images, labels: fewer })).toThrow(new RegExp(`'${fewer}': has 2 labels but '${images}' has 3 images`));
      expect(() => new IdxDataset({ images, labels, classes: ['a', 'b'] })).toThrow(/at byte 8: label 2 of sample 0 is outside the 2 classes/);
    });

    it('a folder without the split', () => {
      expect(() => IdxDataset.fromFolder(folder, { split: 't10k' })).toThrow(/t10k-images-idx3-ubyte\[.gz\]': not found/);
    });
  });

  it('rejects bad options and indices', async () => {
    expect(() => new IdxDataset({ images, channels: 2 as 1 })).toThrow(InvalidArgumentError);
    expect(() => new IdxDataset({ images, channels: 2 as 1 })).toThrow(/'channels' = 2; expected 1 or 3/);
    expect(() => new IdxDataset({ images, classes: ['a', 'a'] })).toThrow(/'classes' = \["a","a"\]/);
    const dataset = new IdxDataset({ images });
    expect(() => dataset.getSync(3)).toThrow(/IdxDataset.get: invalid argument 'index' = 3; expected an integer in \[0, 2\]/);
    await expect(dataset.get(-1)).rejects.toThrow(/'index' = -1/);
  });

  const fashion = '/usr/share/datasets/fashion-mnist';
  it.skipIf(!existsSync(join(fashion, 't10k-images-idx3-ubyte.gz')))('reads the real Fashion-MNIST test split', () => {
    const test = IdxDataset.fromFolder(fashion, { split: 't10k', classes: FASHION_MNIST_CLASSES });
    expect(test.length).toBe(10000);
    expect([test.rows, test.columns]).toEqual([28, 28]);
    const counts = new Array(10).fill(0);
    for (let index = 0; index < test.length; index++) counts[test.getSync(index).label!]++;
    expect(counts).toEqual(new Array(10).fill(1000));
  });
});
