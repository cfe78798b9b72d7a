import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodePng } from './__fixtures__/png';
import { DataFileError, InvalidArgumentError } from '@msn/errors';
import { ImageFolder } from './image-folder';

const root = mkdtempSync(join(tmpdir(), 'msn-folder-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

// A 6×4 RGB gradient: red = 40·x, green = 60·y, blue = 200.
const WIDTH = 6;
const HEIGHT = 4;
const rgb = Buffer.alloc(WIDTH * HEIGHT * 3);
for (let y = 0; y < HEIGHT; y++) {
  for (let x = 0; x < WIDTH; x++) rgb.set([40 * x, 60 * y, 200], (y * WIDTH + x) * 3);
}
const raw = { raw: { width: WIDTH, height: HEIGHT, channels: 3 as const } };

function folder(...parts: string[]): string {
  const path = join(root, ...parts);
  mkdirSync(path, { recursive: true });
  return path;
}

beforeAll(async () => {
  const classes = folder('classes');
  const cats = folder('classes', 'cat');
  const dogs = folder('classes', 'dog', 'nested');
  await sharp(rgb, raw).png().toFile(join(cats, 'a.png'));
  await sharp(rgb, raw).jpeg({ quality: 95 }).toFile(join(cats, 'b.JPG'));
  await sharp(rgb, raw).webp({ lossless: true }).toFile(join(dogs, 'c.webp'));
  await sharp(rgb, raw).gif().toFile(join(dogs, 'd.gif'));
  await sharp(rgb, raw)
    .tiff({ compression: 'lzw' })
    .toFile(join(folder('classes', 'dog'), 'e.tiff'));
  writeFileSync(join(cats, 'notes.txt'), 'not an image');
  writeFileSync(join(classes, 'README.md'), 'ignored');

  const formats = folder('formats');
  writeFileSync(join(formats, 'gray8.png'), encodePng(2, 1, 0, 8, [10, 200]));
  writeFileSync(join(formats, 'gray16.png'), encodePng(2, 1, 0, 16, [0x1234, 0xff00]));
  writeFileSync(join(formats, 'gray-alpha.png'), encodePng(2, 1, 4, 8, [10, 255, 200, 0]));
  writeFileSync(join(formats, 'rgba.png'), encodePng(2, 1, 6, 8, [1, 2, 3, 0, 4, 5, 6, 255]));
  writeFileSync(join(formats, 'rgb16.png'), encodePng(2, 1, 2, 16, [0x1000, 0x8000, 0xffff, 0, 0x0100, 0x7f80]));
  await sharp(Buffer.from([100, 150]), { raw: { width: 2, height: 1, channels: 1 } })
    .toColourspace('b-w')
    .jpeg()
    .toFile(join(formats, 'gray.jpg'));

  const broken = folder('broken');
  await sharp(rgb, raw).png().toFile(join(broken, 'good-1.png'));
  writeFileSync(join(broken, 'garbage.jpg'), Buffer.from('this is not a jpeg at all'));
  const jpeg = await sharp(rgb, raw).jpeg().toBuffer();
  writeFileSync(join(broken, 'truncated.jpg'), jpeg.subarray(0, Math.floor(jpeg.length / 2)));
  writeFileSync(join(broken, 'empty.png'), new Uint8Array(0));
  await sharp(rgb, raw).png().toFile(join(broken, 'good-2.png'));

  folder('empty', 'sub');
  writeFileSync(join(folder('empty'), 'notes.txt'), 'nothing to see');
  folder('empty-class', 'full');
  folder('empty-class', 'hollow');
  await sharp(rgb, raw)
    .png()
    .toFile(join(root, 'empty-class', 'full', 'x.png'));
  folder('mixed', 'sub');
  await sharp(rgb, raw)
    .png()
    .toFile(join(root, 'mixed', 'top.png'));
  await sharp(rgb, raw)
    .png()
    .toFile(join(root, 'mixed', 'sub', 'deep.png'));
});

describe('ImageFolder', () => {
  it('labels by top-level class folder (sorted), recursing into subfolders, ignoring other files', async () => {
    const dataset = new ImageFolder(join(root, 'classes'));
    expect(dataset.classes).toEqual(['cat', 'dog']);
    expect(dataset.files.map((file) => file.slice(root.length + 'classes'.length + 2))).toEqual([
      'cat/a.png',
      'cat/b.JPG',
      'dog/e.tiff',
      'dog/nested/c.webp',
      'dog/nested/d.gif',
    ]);
    expect(dataset.ignoredFiles).toBe(2);
    const labels = await Promise.all(dataset.files.map(async (_, index) => (await dataset.get(index))!.label));
    expect(labels).toEqual([0, 0, 1, 1, 1]);
  });

  it('decodes PNG, JPEG, WebP, GIF and TIFF to the same 8-bit RGB pixels', async () => {
    const dataset = new ImageFolder(join(root, 'classes'));
    for (let index = 0; index < dataset.length; index++) {
      const { image } = (await dataset.get(index))!;
      expect(image).toMatchObject({ width: WIDTH, height: HEIGHT, channels: 3 });
      // JPEG chroma subsampling and the GIF palette change a tiny gradient by a few tens at most.
      const lossy = dataset.files[index]!.endsWith('.JPG') || dataset.files[index]!.endsWith('.gif');
      image.data.forEach((value, position) => expect(Math.abs(value - rgb[position]!)).toBeLessThanOrEqual(lossy ? 40 : 0));
    }
  });

  it('converts grayscale, gray + alpha, RGBA and 16-bit images to 8-bit RGB', async () => {
    const dataset = new ImageFolder(join(root, 'formats'));
    expect(dataset.classes).toBeUndefined();
    const pixels: Record<string, number[]> = {};
    for (let index = 0; index < dataset.length; index++) {
      const sample = (await dataset.get(index))!;
      expect(sample.label).toBeUndefined();
      expect(sample.image.channels).toBe(3);
      pixels[dataset.files[index]!.split('/').pop()!] = Array.from(sample.image.data);
    }
    expect(pixels['gray8.png']).toEqual([10, 10, 10, 200, 200, 200]);
    expect(pixels['gray16.png']).toEqual([0x12, 0x12, 0x12, 0xff, 0xff, 0xff]);
    // Alpha is dropped, not composited (PIL's convert('RGB')).
    expect(pixels['gray-alpha.png']).toEqual([10, 10, 10, 200, 200, 200]);
    expect(pixels['rgba.png']).toEqual([1, 2, 3, 4, 5, 6]);
    expect(pixels['rgb16.png']).toEqual([0x10, 0x80, 0xff, 0x00, 0x01, 0x7f]);
    const gray = pixels['gray.jpg']!;
    expect(gray[0]).toBe(gray[1]);
    expect(gray[1]).toBe(gray[2]);
    expect(Math.abs(gray[0]! - 100)).toBeLessThanOrEqual(6);
  });

  it("with labels: 'none', lists every image anywhere under the root", () => {
    const dataset = new ImageFolder(join(root, 'classes'), { labels: 'none' });
    expect(dataset.length).toBe(5);
    expect(dataset.classes).toBeUndefined();
    expect(new ImageFolder(join(root, 'mixed')).length).toBe(2);
  });

  describe('bad input', () => {
    it('an unreadable or corrupt file fails with an error naming it', async () => {
      const dataset = new ImageFolder(join(root, 'broken'));
      const names = dataset.files.map((file) => file.split('/').pop());
      expect(names).toEqual(['empty.png', 'garbage.jpg', 'good-1.png', 'good-2.png', 'truncated.jpg']);
      for (const name of ['empty.png', 'garbage.jpg', 'truncated.jpg']) {
        const index = names.indexOf(name);
        const failure = dataset.get(index);
        await expect(failure).rejects.toThrow(DataFileError);
        await expect(dataset.get(index)).rejects.toThrow(`ImageFolder: '${dataset.files[index]}': cannot be read or decoded`);
      }
      expect((await dataset.get(names.indexOf('good-1.png')))!.image.width).toBe(WIDTH);
    });

    it('a file removed after listing fails naming it', async () => {
      const path = join(folder('vanishing'), 'gone.png');
      writeFileSync(path, readFileSync(join(root, 'broken', 'good-1.png')));
      const dataset = new ImageFolder(join(root, 'vanishing'));
      rmSync(path);
      await expect(dataset.get(0)).rejects.toThrow(new RegExp(`'${path}': cannot be read or decoded`));
    });

    it("with onError: 'skip', warns, resolves to null and counts every skipped file", async () => {
      const warnings: string[] = [];
      const dataset = new ImageFolder(join(root, 'broken'), { onError: 'skip', onWarning: (message) => warnings.push(message) });
      const samples = await Promise.all(dataset.files.map((_, index) => dataset.get(index)));
      expect(samples.map((sample) => sample !== null)).toEqual([false, false, true, true, false]);
      expect(dataset.skipped.map(({ index }) => index).sort()).toEqual([0, 1, 4]);
      expect(warnings).toHaveLength(3);
      expect(warnings.join('\n')).toMatch(/ImageFolder: skipped sample 1 \('garbage.jpg'\): .*cannot be read or decoded/);
      expect(warnings[2]).toMatch(/\[3 skipped so far\]/);
    });

    it('an empty or missing folder, a file as root, an empty class folder, images outside class folders', () => {
      const empty = join(root, 'empty');
      expect(() => new ImageFolder(empty)).toThrow(DataFileError);
      expect(() => new ImageFolder(empty, { labels: 'none' })).toThrow(`ImageFolder: '${empty}': holds no images`);
      const missing = join(root, 'missing');
      expect(() => new ImageFolder(missing)).toThrow(`ImageFolder: '${missing}': does not exist`);
      expect(() => new ImageFolder(join(root, 'broken', 'good-1.png'))).toThrow(/good-1.png': is not a folder/);
      expect(() => new ImageFolder(join(root, 'empty-class'))).toThrow(/hollow': class folder 'hollow' holds no images/);
      expect(() => new ImageFolder(join(root, 'mixed'), { labels: 'folders' })).toThrow(/holds 1 images outside class folders \(e.g. 'top.png'\)/);
      expect(() => new ImageFolder(join(root, 'formats'), { labels: 'folders' })).toThrow(/has no class subfolders/);
    });
  });

  it('rejects bad options and indices', async () => {
    expect(() => new ImageFolder(join(root, 'classes'), { onError: 'ignore' as 'skip' })).toThrow(InvalidArgumentError);
    expect(() => new ImageFolder(join(root, 'classes'), { onError: 'ignore' as 'skip' })).toThrow(/'onError' = "ignore"; expected one of "throw", "skip"/);
    expect(() => new ImageFolder('')).toThrow(/'root' = ""/);
    await expect(new ImageFolder(join(root, 'classes')).get(5)).rejects.toThrow(/ImageFolder.get: invalid argument 'index' = 5/);
  });
});
