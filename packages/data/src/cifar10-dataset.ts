// Cifar10Dataset: the CIFAR-10 binary format (records of 1 label byte + 3072 bytes of 32×32 planar RGB).
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DataFileError, InvalidArgumentError, assertKnownKeys, assertOneOf } from '@msn/errors';
import { assertIndex, getFromMemory, type DatasetSource, type ImageDataset } from './image-dataset';
import type { Sample } from './image';
import { readDataFile } from './read-file';
import { assertClasses } from './validate';

/** CIFAR-10 class names, label order (`batches.meta.txt`). */
export const CIFAR10_CLASSES: readonly string[] = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];

const SIDE = 32;
const PLANE = SIDE * SIDE;
const RECORD = 1 + 3 * PLANE;

/** Options of {@link Cifar10Dataset}. */
export interface Cifar10DatasetOptions {
  /**
   * Which files a folder stands for: `train` = `data_batch_1.bin` … `data_batch_5.bin`, `test` = `test_batch.bin`.
   * Ignored when explicit files are given. @default 'train'
   */
  split?: 'train' | 'test';
  /**
   * Class names, index = label. Default: the folder's `batches.meta.txt` when present, else {@link CIFAR10_CLASSES}.
   */
  classes?: readonly string[];
}

function filesFor(caller: string, path: string | readonly string[], split: 'train' | 'test'): string[] {
  if (Array.isArray(path)) {
    if (path.length === 0) throw new InvalidArgumentError({ caller, argument: 'path', value: path, expected: 'a folder, a file or a non-empty list of files' });
    return [...path];
  }
  const single = path as string;
  if (!existsSync(single)) throw new DataFileError({ caller, file: single, problem: 'does not exist' });
  if (!statSync(single).isDirectory()) return [single];
  const names = split === 'train' ? [1, 2, 3, 4, 5].map((batch) => `data_batch_${batch}.bin`) : ['test_batch.bin'];
  const files = names.map((name) => join(single, name)).filter((file) => existsSync(file));
  if (files.length === 0) {
    throw new DataFileError({ caller, file: single, problem: `holds none of ${names.join(', ')} (the ${split} split of the CIFAR-10 binary version)` });
  }
  return files;
}

function metaClasses(path: string | readonly string[]): string[] | undefined {
  if (Array.isArray(path)) return undefined;
  const meta = join(path as string, 'batches.meta.txt');
  if (!existsSync(meta)) return undefined;
  const names = readFileSync(meta, 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.length > 0);
  return names.length > 0 ? names : undefined;
}

/**
 * CIFAR-10 in its binary format: a folder (`data_batch_*.bin` or `test_batch.bin`), one `.bin` file or a list
 * of them, gzipped or not. Files are read and checked once, at construction; records are kept in shared
 * memory for worker threads. Images are 32×32 RGB with labels 0…9.
 *
 * @example
 * const cifar = new Cifar10Dataset('/data/cifar-10-batches-bin', { split: 'test' });
 * @throws {DataFileError} naming the file when it is missing, empty, truncated (size not a multiple of the
 *   3073-byte record) or holds a label outside the classes.
 * @throws {InvalidArgumentError} for bad options.
 */
export class Cifar10Dataset implements ImageDataset {
  readonly length: number;
  readonly classes: readonly string[];
  private readonly records: Uint8Array;
  private readonly files: readonly string[];

  constructor(path: string | readonly string[], options: Cifar10DatasetOptions = {}) {
    const caller = 'Cifar10Dataset';
    assertKnownKeys(caller, options, ['split', 'classes']);
    const split = options.split ?? 'train';
    assertOneOf(caller, 'split', split, ['train', 'test'] as const);
    if (options.classes !== undefined) assertClasses(caller, options.classes);
    const classes = options.classes ?? metaClasses(path) ?? CIFAR10_CLASSES;
    const files = filesFor(caller, path, split);
    const parts = files.map((file) => {
      const bytes = readDataFile(caller, file);
      if (bytes.length === 0) throw new DataFileError({ caller, file, problem: 'is empty' });
      if (bytes.length % RECORD !== 0) {
        const complete = Math.floor(bytes.length / RECORD);
        throw new DataFileError({
          caller,
          file,
          offset: complete * RECORD,
          problem: `truncated: ${bytes.length} bytes is not a multiple of the ${RECORD}-byte record (record ${complete} is incomplete)`,
        });
      }
      for (let offset = 0; offset < bytes.length; offset += RECORD) {
        if (bytes[offset]! >= classes.length) {
          throw new DataFileError({
            caller,
            file,
            offset,
            problem: `label ${bytes[offset]} of record ${offset / RECORD} is outside the ${classes.length} classes`,
          });
        }
      }
      return bytes;
    });
    const total = parts.reduce((sum, part) => sum + part.length, 0);
    const records = new Uint8Array(new SharedArrayBuffer(total));
    let offset = 0;
    for (const part of parts) {
      records.set(part, offset);
      offset += part.length;
    }
    this.records = records;
    this.length = total / RECORD;
    this.classes = [...classes];
    this.files = files;
  }

  /** Rebuilds a dataset from {@link Cifar10Dataset.toSource} in a worker thread, sharing the record memory. */
  static fromSource(source: Extract<DatasetSource, { kind: 'cifar10' }>): Cifar10Dataset {
    const dataset = Object.create(Cifar10Dataset.prototype) as Cifar10Dataset;
    Object.assign(dataset, { records: source.records, length: source.count, classes: source.classes, files: source.files });
    return dataset;
  }

  get(index: number): Promise<Sample> {
    return getFromMemory(() => this.getSync(index));
  }

  /**
   * The sample at `index`, synchronously, as interleaved RGB.
   * @throws {InvalidArgumentError} for an index outside [0, length).
   */
  getSync(index: number): Sample {
    assertIndex('Cifar10Dataset.get', index, this.length);
    const base = index * RECORD;
    const data = new Uint8Array(3 * PLANE);
    // The file stores planes (all red, all green, all blue); images are interleaved.
    for (let pixel = 0; pixel < PLANE; pixel++) {
      data[pixel * 3] = this.records[base + 1 + pixel]!;
      data[pixel * 3 + 1] = this.records[base + 1 + PLANE + pixel]!;
      data[pixel * 3 + 2] = this.records[base + 1 + 2 * PLANE + pixel]!;
    }
    return { image: { width: SIDE, height: SIDE, channels: 3, data }, label: this.records[base]! };
  }

  /** The label byte of record `index`. */
  labelAt(index: number): number {
    assertIndex('Cifar10Dataset.labelAt', index, this.length);
    return this.records[index * RECORD]!;
  }

  toSource(): DatasetSource {
    return { kind: 'cifar10', records: this.records, count: this.length, classes: this.classes, files: this.files };
  }
}
