// The dataset contract shared by ImageFolder, IdxDataset, Cifar10Dataset, SyntheticShapes and user datasets.
import { InvalidArgumentError } from '@msn/errors';
import type { Sample } from './image';

/**
 * Serialisable recipe from which a worker thread rebuilds a built-in dataset (large pixel arrays live in
 * SharedArrayBuffers, so rebuilding copies nothing).
 */
export type DatasetSource =
  | {
      kind: 'image-folder';
      root: string;
      files: readonly string[];
      labels: readonly number[] | null;
      classes: readonly string[] | null;
      onError: 'throw' | 'skip';
    }
  | {
      kind: 'idx';
      images: Uint8Array;
      labels: Uint8Array | null;
      count: number;
      rows: number;
      columns: number;
      channels: 1 | 3;
      classes: readonly string[] | null;
      files: readonly string[];
    }
  | { kind: 'cifar10'; records: Uint8Array; count: number; classes: readonly string[]; files: readonly string[] }
  | { kind: 'synthetic-shapes'; options: Record<string, unknown> }
  | { kind: 'subset'; parent: DatasetSource; indices: readonly number[] };

/**
 * A random-access collection of images with optional class labels.
 *
 * `get` resolves to `null` only when the dataset's own error policy skipped the sample (ImageFolder with
 * `onError: 'skip'`); such skips are reported (warned and counted), never silent.
 */
export interface ImageDataset {
  /** Number of samples; valid indices are 0…length−1. */
  readonly length: number;
  /** Class names, index = label, for labelled datasets. */
  readonly classes?: readonly string[];
  /** Loads and decodes one sample. */
  get(index: number): Promise<Sample | null>;
  /** The label of sample `index` without decoding its image (`undefined` for an unlabelled set). */
  labelAt?(index: number): number | undefined;
  /** How worker threads rebuild this dataset; without it, the loader decodes on its own thread. */
  toSource?(): DatasetSource;
  /** Records a sample a worker skipped under this dataset's error policy (warns and counts). */
  reportSkipped?(index: number, reason: string): void;
}

/** Throws unless `index` addresses a sample of a dataset with `length` samples. */
export function assertIndex(caller: string, index: number, length: number): void {
  if (typeof index !== 'number' || !Number.isInteger(index) || index < 0 || index >= length) {
    throw new InvalidArgumentError({ caller, argument: 'index', value: index, expected: `an integer in [0, ${length - 1}]` });
  }
}

/** Copies bytes into a SharedArrayBuffer so worker threads can read them without a copy each. */
export function toSharedBytes(bytes: Uint8Array): Uint8Array {
  const shared = new Uint8Array(new SharedArrayBuffer(bytes.length));
  shared.set(bytes);
  return shared;
}

/**
 * `ImageDataset.get` for datasets held in memory: the synchronous read as a promise, its throw (a bad index) as a
 * rejection, as an asynchronous reader would report it.
 */
export function getFromMemory(read: () => Sample): Promise<Sample> {
  try {
    return Promise.resolve(read());
  } catch (error) {
    return Promise.reject(error);
  }
}
