// @file The data sets the example apps accept by name (`--dataset`, `--data`), with splits for pre-training and evaluation.
import { existsSync, statSync } from 'node:fs';
import {
  CIFAR10_CLASSES,
  Cifar10Dataset,
  FASHION_MNIST_CLASSES,
  IdxDataset,
  ImageFolder,
  SyntheticShapes,
  type DatasetSource,
  type ImageDataset,
  type NormalizeStats,
} from '@msn/data';
import { InvalidArgumentError, assertInteger, assertKnownKeys } from '@msn/errors';
import { CounterRandom, RANDOM_DOMAIN } from '@msn/random';

/** Data sets known by name. */
export const DATASET_NAMES = ['synthetic', 'fashion-mnist', 'cifar10', 'folder'] as const;

/** One of {@link DATASET_NAMES}. */
export type DatasetName = (typeof DATASET_NAMES)[number];

/** Where Debian's `dataset-fashion-mnist` package installs Fashion-MNIST. */
export const FASHION_MNIST_FOLDER = '/usr/share/datasets/fashion-mnist';

/** Per-channel statistics of Fashion-MNIST's training images (the fmnist-tiny protocol's normalisation). */
export const FASHION_MNIST_NORMALIZE: NormalizeStats = { mean: [0.286, 0.286, 0.286], std: [0.353, 0.353, 0.353] };

/** Per-channel statistics of CIFAR-10's training images. */
export const CIFAR10_NORMALIZE: NormalizeStats = { mean: [0.4914, 0.4822, 0.4465], std: [0.247, 0.2435, 0.2616] };

/** Per-channel statistics of SyntheticShapes' images (light shapes on dark backgrounds; 2 000 images at 16 px). */
export const SYNTHETIC_NORMALIZE: NormalizeStats = { mean: [0.258, 0.259, 0.259], std: [0.223, 0.222, 0.222] };

/** ImageNet statistics, for folders of natural images. */
export const FOLDER_NORMALIZE: NormalizeStats = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };

/** Options of {@link openDataset}. */
export interface OpenDatasetOptions {
  name: DatasetName;
  /**
   * The data's location: the IDX folder (`fashion-mnist`), the CIFAR-10 binary folder (`cifar10`) or the image
   * folder (`folder`). Not used by `synthetic`.
   * @default FASHION_MNIST_FOLDER for fashion-mnist; required for cifar10 and folder
   */
  path?: string;
  /** Image side of `synthetic`. @default 32 */
  imageSize?: number;
  /** Images of the `synthetic` pre-training set. @default 4096 */
  syntheticLength?: number;
  /** Images of each `synthetic` evaluation split (labelled pool and test set). @default 1200 */
  syntheticEvaluationLength?: number;
  /** Share of a labelled folder held out as the evaluation test split (the rest is the labelled pool). @default 0.2 */
  folderTestFraction?: number;
  /** Seeds the synthetic images and the folder split. @default 0 */
  seed?: number;
}

/** A data set ready for pre-training and label-efficiency evaluation. */
export interface OpenedDataset {
  name: DatasetName;
  /** One line for the user, e.g. `fashion-mnist: 60000 training images, evaluation 60000 / 10000 (10 classes)`. */
  description: string;
  /** Images to pre-train on (labels, if any, are not used by MSN). */
  train: ImageDataset;
  /** Labelled splits for evaluation: the pool (k-NN reference, few-shot draws) and the test set; absent without labels. */
  evaluation?: { train: ImageDataset; test: ImageDataset };
  classes?: readonly string[];
  /** Normalisation statistics to use in the transforms. */
  normalize: NormalizeStats;
  /** The images' native side when all images share one (28 for Fashion-MNIST, 32 for CIFAR-10). */
  imageSize?: number;
  /** Parts of the classes the evaluation also reports on their own (a long tail's head / medium / tail). */
  classGroups?: readonly { name: string; classes: readonly number[] }[];
}

const KNOWN = ['name', 'path', 'imageSize', 'syntheticLength', 'syntheticEvaluationLength', 'folderTestFraction', 'seed'] as const;

/**
 * Opens a data set by name, with the splits the example apps use:
 * - `synthetic`: `SyntheticShapes` (no files): a pre-training set and two labelled evaluation sets of other seeds;
 * - `fashion-mnist`: the IDX files (`train` for pre-training and as the labelled pool, `t10k` as the test set), as
 *   3-channel images;
 * - `cifar10`: the binary version (`data_batch_*` for pre-training and the pool, `test_batch` as the test set);
 * - `folder`: every image under `path` for pre-training; when the folder has class sub-folders, a seeded
 *   `folderTestFraction` of them is the test set and the rest the pool.
 *
 * @example const data = openDataset({ name: 'fashion-mnist' }); // FASHION_MNIST_FOLDER
 * @throws {InvalidArgumentError} for an unknown name, a missing `path` (naming the flag and the fix), or bad sizes.
 * @throws {DataFileError} (from `@msn/data`) for unreadable or corrupt files.
 */
export function openDataset(options: OpenDatasetOptions): OpenedDataset {
  const caller = 'openDataset';
  if (typeof options !== 'object' || options === null)
    throw new InvalidArgumentError({ caller, argument: 'options', value: options, expected: '{ name, path?, … }' });
  assertKnownKeys(caller, options, KNOWN);
  const { name, seed = 0 } = options;
  if (!(DATASET_NAMES as readonly string[]).includes(name)) {
    throw new InvalidArgumentError({ caller, argument: 'name', value: name, expected: `one of ${DATASET_NAMES.join(', ')}` });
  }
  assertInteger(caller, 'seed', seed, 0);
  switch (name) {
    case 'synthetic': {
      const { imageSize = 32, syntheticLength = 4096, syntheticEvaluationLength = 1200 } = options;
      assertInteger(caller, 'imageSize', imageSize, 8);
      assertInteger(caller, 'syntheticLength', syntheticLength, 1);
      assertInteger(caller, 'syntheticEvaluationLength', syntheticEvaluationLength, 1);
      // Different seeds give different images: the evaluation sets never overlap the pre-training set.
      const make = (length: number, offset: number) => new SyntheticShapes({ length, imageSize, seed: seed * 3 + offset });
      const train = make(syntheticLength, 0);
      return {
        name,
        description: `synthetic shapes ${imageSize}×${imageSize}: ${syntheticLength} training images, evaluation ${syntheticEvaluationLength} / ${syntheticEvaluationLength} (${train.classes.length} classes)`,
        train,
        evaluation: { train: make(syntheticEvaluationLength, 1), test: make(syntheticEvaluationLength, 2) },
        classes: train.classes,
        normalize: SYNTHETIC_NORMALIZE,
        imageSize,
      };
    }
    case 'fashion-mnist': {
      const folder = requireFolder(
        caller,
        options.path ?? FASHION_MNIST_FOLDER,
        name,
        options.path === undefined
          ? "install Debian's dataset-fashion-mnist package or pass --data <folder with the IDX files>"
          : 'pass --data <folder with the IDX files>',
      );
      const train = IdxDataset.fromFolder(folder, { split: 'train', classes: FASHION_MNIST_CLASSES });
      const test = IdxDataset.fromFolder(folder, { split: 't10k', classes: FASHION_MNIST_CLASSES });
      return {
        name,
        description: `fashion-mnist (${folder}): ${train.length} training images, evaluation ${train.length} / ${test.length} (10 classes)`,
        train,
        evaluation: { train, test },
        classes: FASHION_MNIST_CLASSES,
        normalize: FASHION_MNIST_NORMALIZE,
        imageSize: 28,
      };
    }
    case 'cifar10': {
      const folder = requireFolder(caller, options.path, name, 'pass --data <folder with data_batch_1.bin … test_batch.bin>');
      const train = new Cifar10Dataset(folder, { split: 'train' });
      const test = new Cifar10Dataset(folder, { split: 'test' });
      return {
        name,
        description: `cifar10 (${folder}): ${train.length} training images, evaluation ${train.length} / ${test.length} (10 classes)`,
        train,
        evaluation: { train, test },
        classes: train.classes ?? CIFAR10_CLASSES,
        normalize: CIFAR10_NORMALIZE,
        imageSize: 32,
      };
    }
    case 'folder': {
      const folder = requireFolder(caller, options.path, name, 'pass --data <folder of images, optionally one sub-folder per class>');
      const { folderTestFraction = 0.2 } = options;
      if (typeof folderTestFraction !== 'number' || !(folderTestFraction > 0 && folderTestFraction < 1)) {
        throw new InvalidArgumentError({ caller, argument: 'folderTestFraction', value: folderTestFraction, expected: 'a number in (0, 1)' });
      }
      const train = new ImageFolder(folder);
      const evaluation = train.classes === undefined ? undefined : splitFolder(train, folderTestFraction, seed);
      const split =
        evaluation === undefined
          ? 'no labels: no evaluation'
          : `evaluation ${evaluation.train.length} / ${evaluation.test.length} (${train.classes!.length} classes)`;
      return {
        name,
        description: `folder ${folder}: ${train.length} images, ${split}`,
        train,
        ...(evaluation === undefined ? {} : { evaluation }),
        ...(train.classes === undefined ? {} : { classes: train.classes }),
        normalize: FOLDER_NORMALIZE,
      };
    }
  }
}

function requireFolder(caller: string, path: string | undefined, name: string, fix: string): string {
  if (path === undefined || path.length === 0) {
    throw new InvalidArgumentError({ caller, argument: 'path', value: path, expected: `the data folder of ${name} (${fix})` });
  }
  let isFolder = false;
  if (existsSync(path)) isFolder = statSync(path).isDirectory();
  if (!isFolder) {
    throw new InvalidArgumentError({
      caller,
      argument: 'path',
      value: path,
      expected: `an existing folder with the ${name} data (${existsSync(path) ? 'it is not a folder' : 'it does not exist'}; ${fix})`,
    });
  }
  return path;
}

// A seeded, class-stratified split of a labelled ImageFolder into the labelled pool and the test set. Both halves are
// ImageFolders again (through their worker recipe), so they still decode in worker threads.
function splitFolder(folder: ImageFolder, testFraction: number, seed: number): { train: ImageDataset; test: ImageDataset } {
  const source = folder.toSource() as Extract<DatasetSource, { kind: 'image-folder' }>;
  const labels = source.labels!;
  const byClass = new Map<number, number[]>();
  labels.forEach((label, index) => byClass.set(label, [...(byClass.get(label) ?? []), index]));
  const random = CounterRandom.fromKey([RANDOM_DOMAIN.folderSplit, seed]);
  const test: number[] = [];
  const train: number[] = [];
  for (const label of [...byClass.keys()].sort((left, right) => left - right)) {
    const members = byClass.get(label)!;
    const indices = random
      .fork(label)
      .permutation(members.length)
      .map((position) => members[position]!);
    const testCount = indices.length < 2 ? 0 : Math.max(1, Math.round(indices.length * testFraction));
    test.push(...indices.slice(0, testCount));
    train.push(...indices.slice(testCount));
  }
  const subset = (indices: number[]) =>
    ImageFolder.fromSource({
      ...source,
      files: indices.sort((left, right) => left - right).map((index) => source.files[index]!),
      labels: indices.map((index) => labels[index]!),
    });
  return { train: subset(train), test: subset(test) };
}
