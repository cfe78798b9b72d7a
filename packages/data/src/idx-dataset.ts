// IdxDataset: MNIST-format (IDX) image and label files, gzipped or not, e.g. MNIST and Fashion-MNIST.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DataFileError, InvalidArgumentError, assertOptions, assertString } from '@msn/errors';
import { assertIndex, getFromMemory, toSharedBytes, type DatasetSource, type ImageDataset } from './image-dataset';
import type { Sample } from './image';
import { readDataFile } from './read-file';
import { assertClasses } from './validate';

/** Fashion-MNIST class names, label order. */
export const FASHION_MNIST_CLASSES: readonly string[] = [
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
];

/** Options of {@link IdxDataset}. */
export interface IdxDatasetOptions {
  /** IDX file of images `[N, rows, columns]`, unsigned bytes (`…-images-idx3-ubyte[.gz]`). */
  images: string;
  /** IDX file of labels `[N]`, unsigned bytes (`…-labels-idx1-ubyte[.gz]`); omit for an unlabelled set. */
  labels?: string;
  /**
   * Channels of the returned images: 3 repeats the gray value as R = G = B (what the ViT consumes), 1 keeps
   * the single channel (a third of the memory per sample; the transforms expand it to RGB themselves).
   * @default 3
   */
  channels?: 1 | 3;
  /** Class names, index = label; every label must be smaller than their count. */
  classes?: readonly string[];
}

/** Options of {@link IdxDataset.fromFolder}. */
export interface IdxFolderOptions {
  /** File prefix: `train` or `t10k` in the (Fashion-)MNIST distributions. @default 'train' */
  split?: string;
  /** @default 3 */
  channels?: 1 | 3;
  /** Class names, index = label. */
  classes?: readonly string[];
}

interface IdxHeader {
  dimensions: number[];
  dataOffset: number;
}

const UNSIGNED_BYTE = 0x08;

function parseHeader(caller: string, file: string, bytes: Uint8Array, expectedRank: number): IdxHeader {
  if (bytes.length < 4) {
    throw new DataFileError({ caller, file, problem: `truncated: ${bytes.length} bytes, shorter than the 4-byte IDX magic number` });
  }
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    throw new DataFileError({
      caller,
      file,
      offset: 0,
      problem: `not an IDX file: magic number starts ${bytes[0]} ${bytes[1]}, expected 0 0`,
    });
  }
  const elementType = bytes[2]!;
  if (elementType !== UNSIGNED_BYTE) {
    throw new DataFileError({
      caller,
      file,
      offset: 2,
      problem: `unsupported IDX element type 0x${elementType.toString(16).padStart(2, '0')}; only unsigned bytes (0x08) are supported`,
    });
  }
  const rank = bytes[3]!;
  if (rank !== expectedRank) {
    throw new DataFileError({
      caller,
      file,
      offset: 3,
      problem: `has ${rank} dimensions, expected ${expectedRank} (${expectedRank === 3 ? '[N, rows, columns] images' : '[N] labels'})`,
    });
  }
  const dataOffset = 4 + 4 * rank;
  if (bytes.length < dataOffset) {
    throw new DataFileError({ caller, file, problem: `truncated: ${bytes.length} bytes, the header alone needs ${dataOffset}` });
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dimensions = Array.from({ length: rank }, (_, axis) => view.getUint32(4 + 4 * axis, false));
  const expected = dataOffset + dimensions.reduce((product, size) => product * size, 1);
  if (bytes.length < expected) {
    throw new DataFileError({
      caller,
      file,
      offset: bytes.length,
      problem: `truncated: ${bytes.length} bytes, the header [${dimensions}] needs ${expected}`,
    });
  }
  if (bytes.length > expected) {
    throw new DataFileError({
      caller,
      file,
      offset: expected,
      problem: `has ${bytes.length - expected} unexpected bytes after the data of shape [${dimensions}]`,
    });
  }
  return { dimensions, dataOffset };
}

/**
 * Images (and labels) in the IDX format of MNIST and Fashion-MNIST, gzipped or not. Files are read and
 * checked once, at construction; pixels are kept in shared memory so worker threads read them without copies.
 *
 * @example
 * const train = IdxDataset.fromFolder('/usr/share/datasets/fashion-mnist', { split: 'train', classes: FASHION_MNIST_CLASSES });
 * const { image, label } = (await train.get(0))!;   // 28×28 RGB, label 0…9
 * @throws {DataFileError} naming the file when it is missing, not IDX, not unsigned bytes, truncated, has
 *   trailing bytes, or when the labels do not match the images (count, or a label outside `classes`).
 * @throws {InvalidArgumentError} for bad options.
 */
export class IdxDataset implements ImageDataset {
  readonly length: number;
  readonly classes?: readonly string[];
  /** Rows and columns of every image. */
  readonly rows: number;
  readonly columns: number;
  readonly channels: 1 | 3;
  private readonly pixels: Uint8Array;
  private readonly labelBytes: Uint8Array | null;
  private readonly files: readonly string[];

  constructor(options: IdxDatasetOptions) {
    const caller = 'IdxDataset';
    assertOptions(caller, options, ['images', 'labels', 'channels', 'classes'], '{ images, labels?, channels?, classes? }');
    assertString(caller, 'images', options.images);
    if (options.labels !== undefined) assertString(caller, 'labels', options.labels);
    const channels = options.channels ?? 3;
    if (channels !== 1 && channels !== 3) {
      throw new InvalidArgumentError({ caller, argument: 'channels', value: channels, expected: '1 or 3' });
    }
    if (options.classes !== undefined) assertClasses(caller, options.classes);

    const imageBytes = readDataFile(caller, options.images);
    const imageHeader = parseHeader(caller, options.images, imageBytes, 3);
    const [count, rows, columns] = imageHeader.dimensions as [number, number, number];
    if (count === 0 || rows === 0 || columns === 0) {
      throw new DataFileError({ caller, file: options.images, problem: `holds no images (shape [${count}, ${rows}, ${columns}])` });
    }
    let labelBytes: Uint8Array | null = null;
    if (options.labels !== undefined) {
      const bytes = readDataFile(caller, options.labels);
      const header = parseHeader(caller, options.labels, bytes, 1);
      if (header.dimensions[0] !== count) {
        throw new DataFileError({
          caller,
          file: options.labels,
          problem: `has ${header.dimensions[0]} labels but '${options.images}' has ${count} images`,
        });
      }
      labelBytes = bytes.subarray(header.dataOffset);
      if (options.classes !== undefined) {
        const numClasses = options.classes.length;
        const bad = labelBytes.findIndex((label) => label >= numClasses);
        if (bad >= 0) {
          throw new DataFileError({
            caller,
            file: options.labels,
            offset: header.dataOffset + bad,
            problem: `label ${labelBytes[bad]} of sample ${bad} is outside the ${numClasses} classes`,
          });
        }
      }
      labelBytes = toSharedBytes(labelBytes);
    }
    this.pixels = toSharedBytes(imageBytes.subarray(imageHeader.dataOffset));
    this.labelBytes = labelBytes;
    this.length = count;
    this.rows = rows;
    this.columns = columns;
    this.channels = channels;
    this.files = options.labels === undefined ? [options.images] : [options.images, options.labels];
    if (options.classes !== undefined) this.classes = [...options.classes];
  }

  /**
   * The standard file pair `${split}-images-idx3-ubyte[.gz]` and `${split}-labels-idx1-ubyte[.gz]` in `folder`.
   * @throws {DataFileError} when the images file is not there (gzipped or not).
   */
  static fromFolder(folder: string, options: IdxFolderOptions = {}): IdxDataset {
    const split = options.split ?? 'train';
    const find = (stem: string): string | undefined => [join(folder, `${stem}.gz`), join(folder, stem)].find((candidate) => existsSync(candidate));
    const images = find(`${split}-images-idx3-ubyte`);
    if (images === undefined) {
      throw new DataFileError({
        caller: 'IdxDataset.fromFolder',
        file: join(folder, `${split}-images-idx3-ubyte[.gz]`),
        problem: `not found (looked for the gzipped and the plain file in '${folder}')`,
      });
    }
    const labels = find(`${split}-labels-idx1-ubyte`);
    return new IdxDataset({
      images,
      ...(labels === undefined ? {} : { labels }),
      ...(options.channels === undefined ? {} : { channels: options.channels }),
      ...(options.classes === undefined ? {} : { classes: options.classes }),
    });
  }

  /** Rebuilds a dataset from {@link IdxDataset.toSource} in a worker thread, sharing the pixel memory. */
  static fromSource(source: Extract<DatasetSource, { kind: 'idx' }>): IdxDataset {
    const dataset = Object.create(IdxDataset.prototype) as IdxDataset;
    Object.assign(dataset, {
      pixels: source.images,
      labelBytes: source.labels,
      length: source.count,
      rows: source.rows,
      columns: source.columns,
      channels: source.channels,
      files: source.files,
      ...(source.classes === null ? {} : { classes: source.classes }),
    });
    return dataset;
  }

  /** The label of sample `index`, read from the label file (`undefined` without one). */
  labelAt(index: number): number | undefined {
    assertIndex('IdxDataset.labelAt', index, this.length);
    return this.labelBytes === null ? undefined : this.labelBytes[index]!;
  }

  /** The sample at `index` (synchronously available; returned as a promise to fit {@link ImageDataset}). */
  get(index: number): Promise<Sample> {
    return getFromMemory(() => this.getSync(index));
  }

  /**
   * The sample at `index`, synchronously.
   * @throws {InvalidArgumentError} for an index outside [0, length).
   */
  getSync(index: number): Sample {
    assertIndex('IdxDataset.get', index, this.length);
    const plane = this.rows * this.columns;
    const gray = this.pixels.subarray(index * plane, (index + 1) * plane);
    let data: Uint8Array;
    if (this.channels === 1) {
      data = gray.slice();
    } else {
      data = new Uint8Array(plane * 3);
      for (let pixel = 0; pixel < plane; pixel++) {
        const value = gray[pixel]!;
        data[pixel * 3] = value;
        data[pixel * 3 + 1] = value;
        data[pixel * 3 + 2] = value;
      }
    }
    const image = { width: this.columns, height: this.rows, channels: this.channels, data };
    return this.labelBytes === null ? { image } : { image, label: this.labelBytes[index]! };
  }

  toSource(): DatasetSource {
    return {
      kind: 'idx',
      images: this.pixels,
      labels: this.labelBytes,
      count: this.length,
      rows: this.rows,
      columns: this.columns,
      channels: this.channels,
      classes: this.classes ?? null,
      files: this.files,
    };
  }
}
