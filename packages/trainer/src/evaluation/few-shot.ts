import { InvalidArgumentError, ShapeError, assertInteger, assertKnownKeys, assertPositiveFinite } from '@msn/errors';
import { normalizeRowsInPlace, readFeatures, readLabels, type Features, type Float64Matrix, type Labels } from './labels';
import type { LbfgsOptions } from './lbfgs';
import { fitLogisticRegression } from './logistic-regression';
import { createRandom } from '@msn/random';
import { sampleWithoutReplacement } from './sample-without-replacement';

/** Options of {@link fewShotEvaluation}. */
export interface FewShotOptions {
  /** Labelled pool the few shots are drawn from `[N, D]`. */
  trainFeatures: Features;
  trainLabels: Labels;
  /** Evaluation set `[M, D]`. */
  testFeatures: Features;
  testLabels: Labels;
  /** Labelled examples per class. @default [1, 2, 5, 10] */
  shots?: number[];
  /** One class-balanced draw per seed. @default [0, 1, 2, 3, 4] */
  seeds?: number[];
  /** scikit-learn's `C`. @default 1 */
  inverseRegularization?: number;
  /** L2-normalise every feature row first (the MSN protocol). @default true */
  normalize?: boolean;
  /** Solver settings of the probe. */
  solver?: LbfgsOptions | undefined;
}

/** Accuracy of the probe for one number of shots. */
export interface FewShotResult {
  shots: number;
  /** Test accuracy (0…1) per seed, in `seeds` order. */
  accuracies: number[];
  mean: number;
  /** Population standard deviation over seeds (numpy's default, ddof = 0). */
  std: number;
}

const KNOWN = ['trainFeatures', 'trainLabels', 'testFeatures', 'testLabels', 'shots', 'seeds', 'inverseRegularization', 'normalize', 'solver'] as const;

function selectRows(matrix: Float64Matrix, rows: number[]): Float64Matrix {
  const data = new Float64Array(rows.length * matrix.columns);
  rows.forEach((row, index) => data.set(matrix.data.subarray(row * matrix.columns, (row + 1) * matrix.columns), index * matrix.columns));
  return { data, rows: rows.length, columns: matrix.columns };
}

/**
 * The label-efficiency protocol of the MSN paper on frozen features: for each number of shots and each seed,
 * draw `shots` training examples per class (seeded, class-balanced, without replacement), fit a multinomial
 * logistic regression (C · Σ cross-entropy + ½‖W‖², unpenalised intercept, L-BFGS to convergence) on the
 * L2-normalised features, and measure accuracy on the whole test set. Reports mean ± std over seeds.
 *
 * @example
 * const table = await fewShotEvaluation({ trainFeatures, trainLabels, testFeatures, testLabels });
 * for (const { shots, mean, std } of table) console.log(`${shots}-shot ${(100 * mean).toFixed(1)} ± ${(100 * std).toFixed(1)} %`);
 * @throws {ShapeError} for mismatched feature dimensions or label counts.
 * @throws {InvalidArgumentError} when a class has fewer training examples than requested shots, or for bad shots
 *   or seeds.
 */
export async function fewShotEvaluation(options: FewShotOptions): Promise<FewShotResult[]> {
  const caller = 'fewShotEvaluation';
  assertKnownKeys(caller, options, KNOWN);
  const { shots = [1, 2, 5, 10], seeds = [0, 1, 2, 3, 4], inverseRegularization = 1, normalize = true, solver } = options;
  assertPositiveFinite(caller, 'inverseRegularization', inverseRegularization);
  if (!Array.isArray(shots) || shots.length === 0)
    throw new InvalidArgumentError({ caller, argument: 'shots', value: shots, expected: 'a non-empty array of integers >= 1' });
  shots.forEach((count, index) => assertInteger(caller, `shots[${index}]`, count, 1));
  if (!Array.isArray(seeds) || seeds.length === 0)
    throw new InvalidArgumentError({ caller, argument: 'seeds', value: seeds, expected: 'a non-empty array of integers >= 0' });
  seeds.forEach((seed, index) => assertInteger(caller, `seeds[${index}]`, seed, 0));
  const train = await readFeatures(caller, 'trainFeatures', options.trainFeatures);
  const test = await readFeatures(caller, 'testFeatures', options.testFeatures);
  if (train.columns !== test.columns) {
    throw new ShapeError(
      `${caller}: trainFeatures [${train.rows},${train.columns}] and testFeatures [${test.rows},${test.columns}] must share the last dimension`,
    );
  }
  const trainLabels = readLabels(caller, 'trainLabels', options.trainLabels);
  const testLabels = readLabels(caller, 'testLabels', options.testLabels);
  if (trainLabels.length !== train.rows) throw new ShapeError(`${caller}: ${trainLabels.length} trainLabels for ${train.rows} trainFeatures rows`);
  if (testLabels.length !== test.rows) throw new ShapeError(`${caller}: ${testLabels.length} testLabels for ${test.rows} testFeatures rows`);
  if (normalize) {
    normalizeRowsInPlace(train);
    normalizeRowsInPlace(test);
  }
  const byClass = new Map<number, number[]>();
  trainLabels.forEach((label, row) => {
    const rows = byClass.get(label) ?? [];
    rows.push(row);
    byClass.set(label, rows);
  });
  const classes = [...byClass.keys()].sort((left, right) => left - right);
  const largestShot = Math.max(...shots);
  for (const label of classes) {
    if (byClass.get(label)!.length < largestShot) {
      throw new InvalidArgumentError({
        caller,
        argument: 'shots',
        value: largestShot,
        expected: `at most the ${byClass.get(label)!.length} training examples of class ${label}`,
      });
    }
  }
  return shots.map((count) => {
    const accuracies = seeds.map((seed) => {
      // One stream per (seed, shots), classes drawn in ascending order: the split depends on nothing else.
      const random = createRandom(seed * 1_000_003 + count);
      const rows = classes.flatMap((label) => sampleWithoutReplacement(byClass.get(label)!, count, random));
      const model = fitLogisticRegression({
        features: selectRows(train, rows),
        labels: Int32Array.from(rows, (row) => trainLabels[row]!),
        inverseRegularization,
        solver,
      });
      const predictions = model.predict(test);
      let correct = 0;
      predictions.forEach((prediction, row) => {
        if (prediction === testLabels[row]) correct++;
      });
      return test.rows === 0 ? 0 : correct / test.rows;
    });
    const mean = accuracies.reduce((sum, accuracy) => sum + accuracy, 0) / accuracies.length;
    const std = Math.sqrt(accuracies.reduce((sum, accuracy) => sum + (accuracy - mean) ** 2, 0) / accuracies.length);
    return { shots: count, accuracies, mean, std };
  });
}
