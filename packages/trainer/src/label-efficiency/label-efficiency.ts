// @file The label-efficiency protocol of the MSN paper on embedded sets (k-NN and few-shot probes), and its table.
import * as tf from '@tensorflow/tfjs-core';
import { fewShotEvaluation, type FewShotResult } from '../evaluation/few-shot';
import { knnClassify } from '../evaluation/knn';
import { InvalidArgumentError, assertKnownKeys } from '@msn/errors';
import type { EmbeddedSet } from './embed-batches';

/** Options of {@link evaluateLabelEfficiency}. */
export interface LabelEfficiencyOptions {
  /** The labelled pool: k-NN reference set and the pool few-shot examples are drawn from. */
  train: EmbeddedSet;
  /** The evaluation set. */
  test: EmbeddedSet;
  /** k-NN neighbours. @default 20 */
  k?: number;
  /** k-NN vote temperature: weights exp(similarity / T). @default 0.07 */
  temperature?: number;
  /** Labels per class of the few-shot probes; `[]` skips them. @default [1, 2, 5, 10] */
  shots?: number[];
  /** One seeded draw per seed. @default [0, 1, 2, 3, 4] */
  seeds?: number[];
  /** scikit-learn's C of the logistic regression. @default 1 */
  inverseRegularization?: number;
}

/** k-NN accuracy and few-shot accuracies (each 0…1). */
export interface LabelEfficiencyResult {
  knnAccuracy: number;
  fewShot: FewShotResult[];
}

/** One row of {@link formatLabelEfficiencyTable}. */
export interface LabelEfficiencyRow {
  name: string;
  result: LabelEfficiencyResult;
  /** The same protocol scored on the test images of some classes only (the probes still see every class). */
  groups?: { name: string; result: LabelEfficiencyResult }[];
}

const KNOWN = ['train', 'test', 'k', 'temperature', 'shots', 'seeds', 'inverseRegularization'] as const;

/**
 * The MSN paper's label-efficiency evaluation of frozen features: weighted k-NN (cosine similarity, votes
 * exp(sim / T)) over the whole labelled pool, and multinomial logistic-regression probes on 1, 2, 5, 10 labels per
 * class drawn with several seeds (L2-normalised features, C · Σ CE + ½‖W‖²), each scored on the whole test set.
 *
 * @example
 * const result = await evaluateLabelEfficiency({ train: await embedBatches(trainLoader, embed), test: await embedBatches(testLoader, embed) });
 * console.log(formatLabelEfficiencyTable([{ name: 'MSN', result }]));
 * @throws {InvalidArgumentError} for an empty set, k larger than the pool, or more shots than a class has.
 */
export async function evaluateLabelEfficiency(options: LabelEfficiencyOptions): Promise<LabelEfficiencyResult> {
  const caller = 'evaluateLabelEfficiency';
  assertKnownKeys(caller, options, KNOWN);
  const { train, test, k = 20, temperature = 0.07, shots = [1, 2, 5, 10], seeds = [0, 1, 2, 3, 4], inverseRegularization = 1 } = options;
  for (const [name, set] of [
    ['train', train],
    ['test', test],
  ] as const) {
    if (typeof set !== 'object' || set === null || set.labels === undefined || set.features?.shape?.[0] === undefined || set.features.shape[0] === 0) {
      throw new InvalidArgumentError({
        caller,
        argument: name,
        value: set?.features?.shape === undefined ? set : `[${set.features.shape}]`,
        expected: 'a non-empty embedded set (embedBatches)',
      });
    }
  }
  let numClasses = 0;
  for (const label of [...train.labels, ...test.labels]) numClasses = Math.max(numClasses, label + 1);
  const [trainFeatures, testFeatures] = [train, test].map((set) => tf.tensor2d(set.features.data, set.features.shape));
  let knnAccuracy: number;
  try {
    const knn = await knnClassify({
      trainFeatures: trainFeatures!,
      trainLabels: train.labels,
      testFeatures: testFeatures!,
      testLabels: test.labels,
      k: Math.min(k, train.labels.length),
      temperature,
      numClasses,
    });
    knnAccuracy = knn.accuracy!;
  } finally {
    tf.dispose([trainFeatures!, testFeatures!]);
  }
  const fewShot =
    shots.length === 0
      ? []
      : await fewShotEvaluation({
          trainFeatures: train.features,
          trainLabels: train.labels,
          testFeatures: test.features,
          testLabels: test.labels,
          shots,
          seeds,
          inverseRegularization,
        });
  return { knnAccuracy, fewShot };
}

const percent = (value: number) => (100 * value).toFixed(1);

/**
 * A plain-text table with one row per evaluated encoder: k-NN accuracy and `mean ± std` few-shot accuracy (%) per
 * number of shots (the columns are the first row's shots).
 *
 * @example
 * // encoder               k-NN      1-shot       2-shot       5-shot      10-shot
 * // MSN (trained)         71.3   38.2 ± 4.1   45.0 ± 3.3   55.9 ± 2.0   61.2 ± 1.5
 */
export function formatLabelEfficiencyTable(rows: readonly LabelEfficiencyRow[]): string {
  const shots = rows[0]?.result.fewShot.map((entry) => entry.shots) ?? [];
  const nameWidth = Math.max(7, ...rows.map((row) => row.name.length)) + 2;
  const cell = 13;
  const header = `${'encoder'.padEnd(nameWidth)}${'k-NN'.padStart(6)}${shots.map((count) => `${count}-shot`.padStart(cell)).join('')}`;
  const lines = rows.map(({ name, result }) => {
    const fewShot = shots.map((count) => {
      const entry = result.fewShot.find((candidate) => candidate.shots === count);
      return (entry === undefined ? '–' : `${percent(entry.mean)} ± ${percent(entry.std)}`).padStart(cell);
    });
    return `${name.padEnd(nameWidth)}${percent(result.knnAccuracy).padStart(6)}${fewShot.join('')}`;
  });
  return [header, ...lines].join('\n');
}
