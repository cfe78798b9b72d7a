// @file Label-efficiency table rows for several encoders of one labelled data set (trained, random init, raw pixels).
import * as tf from '@tensorflow/tfjs-core';
import { DataLoader, PlainTransform, type ImageDataset, type NormalizeStats, type Sampler } from '@msn/data';
import { InvalidArgumentError, assertInteger, assertKnownKeys } from '@msn/errors';
import type { EmbeddedSet } from './embed-batches';
import { evaluateLabelEfficiency, type LabelEfficiencyRow } from './label-efficiency';
import { CounterRandom, RANDOM_DOMAIN } from '@msn/random';

/** An encoder to evaluate: a name for the table and a function from images `[B, 3, S, S]` to features `[B, D]`. */
export interface NamedEncoder {
  name: string;
  embed: (images: tf.Tensor4D) => tf.Tensor2D;
}

/** Options of {@link compareEncoders}. */
export interface CompareEncodersOptions {
  /** Labelled pool (k-NN reference, few-shot draws). */
  train: ImageDataset;
  /** Labelled evaluation set. */
  test: ImageDataset;
  encoders: readonly NamedEncoder[];
  /** Side the images are resized to (the encoders' input size). */
  imageSize: number;
  /** Normalisation of the images (as in training). */
  normalize: NormalizeStats | null;
  /** Use at most this many images of each split (a fixed pseudo-random subset). @default all */
  subset?: number;
  /** @default 256 */
  batchSize?: number;
  /** Data-loading worker threads. @default 0 */
  workers?: number;
  /** k-NN neighbours. @default 20 */
  k?: number;
  /** k-NN temperature. @default 0.07 */
  temperature?: number;
  /** @default [1, 2, 5, 10] */
  shots?: number[];
  /** @default [0, 1, 2, 3, 4] */
  seeds?: number[];
  /** Called before each encoder's k-NN and probes with its name (progress messages). */
  onEvaluate?: (name: string) => void;
  /** Also score each row on the test images of these classes alone (e.g. a long tail's head / medium / tail). */
  classGroups?: readonly { name: string; classes: readonly number[] }[];
}

const KNOWN = [
  'train',
  'test',
  'encoders',
  'imageSize',
  'normalize',
  'subset',
  'batchSize',
  'workers',
  'k',
  'temperature',
  'shots',
  'seeds',
  'onEvaluate',
  'classGroups',
] as const;

// A fixed pseudo-random subset (in index order): unlike every n-th image, it cannot alias with a periodic labelling
// (SyntheticShapes' label is index mod classes).
class SubsetSampler implements Sampler {
  private readonly chosen: number[];
  constructor(datasetLength: number, count: number) {
    const indices = CounterRandom.fromKey([RANDOM_DOMAIN.evaluationSubset]).permutation(datasetLength);
    this.chosen = indices.slice(0, Math.min(count, datasetLength)).sort((left, right) => left - right);
  }
  get length(): number {
    return this.chosen.length;
  }
  setEpoch(): void {}
  indices(): number[] {
    return this.chosen;
  }
}

/**
 * Embeds the labelled pool and the test set once per batch with every encoder (one pass over the images, centre
 * view through a `PlainTransform`) and runs the label-efficiency protocol (`evaluateLabelEfficiency`: k-NN and
 * few-shot probes) for each. Returns one table row per encoder, in order.
 *
 * @example
 * const rows = await compareEncoders({ train: data.evaluation.train, test: data.evaluation.test, imageSize: 32, normalize: data.normalize,
 *   encoders: [{ name: 'MSN', embed: (x) => model.embed(x) }, { name: 'raw pixels', embed: pixelFeatures }] });
 * console.log(formatLabelEfficiencyTable(rows));
 * @throws {InvalidArgumentError} for no encoders, unlabelled data, or bad sizes.
 */
export async function compareEncoders(options: CompareEncodersOptions): Promise<LabelEfficiencyRow[]> {
  const caller = 'compareEncoders';
  assertKnownKeys(caller, options, KNOWN);
  const { encoders, imageSize, normalize, subset, batchSize = 256, workers = 0, onEvaluate } = options;
  if (!Array.isArray(encoders) || encoders.length === 0 || !encoders.every((encoder) => typeof encoder?.embed === 'function')) {
    throw new InvalidArgumentError({ caller, argument: 'encoders', value: encoders, expected: 'a non-empty list of { name, embed(images) }' });
  }
  assertInteger(caller, 'imageSize', imageSize, 1);
  if (subset !== undefined) assertInteger(caller, 'subset', subset, 1);
  const transform = new PlainTransform({ size: imageSize, normalize });
  const embedAll = async (dataset: ImageDataset, split: string): Promise<EmbeddedSet[]> => {
    const sampler = subset === undefined ? undefined : new SubsetSampler(dataset.length, subset);
    const loader = new DataLoader(dataset, { batchSize, transform, workers, ...(sampler === undefined ? {} : { sampler }) });
    const parts = encoders.map(() => ({ data: [] as Float32Array[], dims: 0 }));
    const labels: Int32Array[] = [];
    for await (const batch of loader) {
      try {
        if (batch.labels === undefined)
          throw new InvalidArgumentError({ caller, argument: split, value: 'unlabelled images', expected: 'a labelled data set' });
        labels.push(Int32Array.from(await batch.labels.data()));
        for (const [index, encoder] of encoders.entries()) {
          const features = tf.tidy(() => encoder.embed(batch.views[0]!));
          parts[index]!.dims = features.shape[1];
          parts[index]!.data.push(Float32Array.from(await features.data()));
          features.dispose();
        }
      } finally {
        tf.dispose([...batch.views, ...(batch.labels === undefined ? [] : [batch.labels])]);
      }
    }
    const allLabels = concat(labels, Int32Array);
    return parts.map(({ data, dims }) => ({
      features: { data: concat(data, Float32Array), shape: [allLabels.length, dims] as [number, number] },
      labels: allLabels,
    }));
  };
  const trainSets = await embedAll(options.train, 'train');
  const testSets = await embedAll(options.test, 'test');
  const rows: LabelEfficiencyRow[] = [];
  const protocol = {
    ...(options.k === undefined ? {} : { k: options.k }),
    ...(options.temperature === undefined ? {} : { temperature: options.temperature }),
    ...(options.shots === undefined ? {} : { shots: options.shots }),
    ...(options.seeds === undefined ? {} : { seeds: options.seeds }),
  };
  for (const [index, encoder] of encoders.entries()) {
    onEvaluate?.(encoder.name);
    const train = trainSets[index]!;
    const result = await evaluateLabelEfficiency({ train, test: testSets[index]!, ...protocol });
    if (options.classGroups === undefined) {
      rows.push({ name: encoder.name, result });
      continue;
    }
    const groups = [];
    for (const group of options.classGroups) {
      // Same draws and probes as above (they are seeded), scored on this group's test images only.
      const test = selectClasses(testSets[index]!, group.classes);
      if (test.labels.length === 0)
        throw new InvalidArgumentError({
          caller,
          argument: 'classGroups',
          value: group.name,
          expected: `classes with test images (${group.classes.join(', ')} have none)`,
        });
      groups.push({ name: group.name, result: await evaluateLabelEfficiency({ train, test, ...protocol }) });
    }
    rows.push({ name: encoder.name, result, groups });
  }
  return rows;
}

function selectClasses(set: EmbeddedSet, classes: readonly number[]): EmbeddedSet {
  const wanted = new Set(classes);
  const rows: number[] = [];
  set.labels.forEach((label, row) => {
    if (wanted.has(label)) rows.push(row);
  });
  const [, dims] = set.features.shape;
  const data = new Float32Array(rows.length * dims);
  rows.forEach((row, position) => data.set(set.features.data.subarray(row * dims, (row + 1) * dims), position * dims));
  return { features: { data, shape: [rows.length, dims] }, labels: Int32Array.from(rows, (row) => set.labels[row]!) };
}

function concat<T extends Float32Array | Int32Array>(parts: T[], Type: { new (length: number): T }): T {
  const result = new Type(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    result.set(part, offset);
    offset += part.length;
  }
  return result;
}
