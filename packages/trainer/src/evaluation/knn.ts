import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError, ShapeError, assertInteger, assertKnownKeys, assertPositiveFinite } from '@msn/errors';
import { readLabels, type Labels } from './labels';

/** Options of {@link knnClassify}. */
export interface KnnOptions {
  /** Reference features `[N, D]` (e.g. the embedded training set). */
  trainFeatures: tf.Tensor2D;
  /** Their labels, length N. */
  trainLabels: Labels;
  /** Features to classify `[M, D]`. */
  testFeatures: tf.Tensor2D;
  /** When given (length M), the result includes the accuracy. */
  testLabels?: Labels;
  /** Neighbours that vote. @default 20 */
  k?: number;
  /** Vote weight exp(similarity / temperature). @default 0.07 */
  temperature?: number;
  /** Number of classes. @default 1 + the largest label */
  numClasses?: number;
  /**
   * Test rows per similarity block; memory holds one `[chunkSize, N]` block.
   * @default the largest size with chunkSize · N ≤ 2²⁴ (64 MB), at most 1024
   */
  chunkSize?: number;
}

/** Result of {@link knnClassify}. */
export interface KnnResult {
  /** Predicted class of each test row. */
  predictions: Int32Array;
  /** Share of correct predictions (0…1), when `testLabels` was given. */
  accuracy?: number;
}

const KNOWN = ['trainFeatures', 'trainLabels', 'testFeatures', 'testLabels', 'k', 'temperature', 'numClasses', 'chunkSize'] as const;

/**
 * Weighted k-nearest-neighbour classification with cosine similarity (the protocol of DINO and MSN): features are
 * L2-normalised, each test row takes its k most similar training rows, and class c scores
 * Σ exp(similarity / temperature) over the neighbours labelled c; ties go to the lower class index.
 * The test set is processed in chunks (one `[chunkSize, N]` similarity block at a time), so 10k × 60k × 128
 * needs a few tens of MB; the training matrix is normalised and transposed once.
 *
 * @example
 * const { accuracy } = await knnClassify({ trainFeatures, trainLabels, testFeatures, testLabels }); // k 20, T 0.07
 * @throws {ShapeError} when features are not 2-D, dimensions differ, or label counts do not match.
 * @throws {InvalidArgumentError} for k outside [1, N], a non-positive temperature or chunk size, or labels that
 *   are not integers in [0, numClasses).
 */
export async function knnClassify(options: KnnOptions): Promise<KnnResult> {
  const caller = 'knnClassify';
  assertKnownKeys(caller, options, KNOWN);
  const { trainFeatures, testFeatures, k = 20, temperature = 0.07 } = options;
  for (const [name, features] of [
    ['trainFeatures', trainFeatures],
    ['testFeatures', testFeatures],
  ] as const) {
    if (!(features instanceof tf.Tensor) || features.rank !== 2) {
      throw new ShapeError(
        `${caller}: '${name}' must be a 2-D [samples, dims] tensor, got ${features instanceof tf.Tensor ? `shape [${features.shape}]` : String(features)}`,
      );
    }
  }
  const [trainCount, dims] = trainFeatures.shape;
  const [testCount, testDims] = testFeatures.shape;
  if (dims !== testDims) {
    throw new ShapeError(`${caller}: trainFeatures [${trainFeatures.shape}] and testFeatures [${testFeatures.shape}] must share the last dimension`);
  }
  const trainLabels = readLabels(caller, 'trainLabels', options.trainLabels);
  if (trainLabels.length !== trainCount) {
    throw new ShapeError(`${caller}: ${trainLabels.length} trainLabels for ${trainCount} trainFeatures rows`);
  }
  const testLabels = options.testLabels === undefined ? undefined : readLabels(caller, 'testLabels', options.testLabels);
  if (testLabels !== undefined && testLabels.length !== testCount) {
    throw new ShapeError(`${caller}: ${testLabels.length} testLabels for ${testCount} testFeatures rows`);
  }
  assertInteger(caller, 'k', k, 1);
  if (k > trainCount) throw new InvalidArgumentError({ caller, argument: 'k', value: k, expected: `<= the ${trainCount} training rows` });
  assertPositiveFinite(caller, 'temperature', temperature);
  let largestLabel = -1;
  for (const label of trainLabels) largestLabel = Math.max(largestLabel, label);
  const numClasses = options.numClasses ?? largestLabel + 1;
  assertInteger(caller, 'numClasses', numClasses, 1);
  if (largestLabel >= numClasses) {
    throw new InvalidArgumentError({ caller, argument: 'trainLabels', value: largestLabel, expected: `labels < numClasses (${numClasses})` });
  }
  const chunkSize = options.chunkSize ?? Math.max(1, Math.min(1024, Math.floor(2 ** 24 / Math.max(1, trainCount))));
  assertInteger(caller, 'chunkSize', chunkSize, 1);

  const normalize = (matrix: tf.Tensor2D) => tf.div(matrix, tf.maximum(tf.norm(matrix, 'euclidean', 1, true), tf.scalar(1e-12)));
  // Transposed once here: a transposed matMul inside the loop is much slower on wasm.
  const trainTransposed = tf.tidy(() => tf.transpose(normalize(trainFeatures)));
  const predictions = new Int32Array(testCount);
  const scores = new Float64Array(numClasses);
  try {
    for (let start = 0; start < testCount; start += chunkSize) {
      const rows = Math.min(chunkSize, testCount - start);
      const { values, indices } = tf.tidy(() => {
        const similarity = tf.matMul(normalize(tf.slice(testFeatures, [start, 0], [rows, dims])), trainTransposed);
        return tf.topk(similarity, k, true);
      });
      const [similarities, neighbours] = await Promise.all([values.data(), indices.data()]);
      tf.dispose([values, indices]);
      for (let row = 0; row < rows; row++) {
        scores.fill(0);
        for (let rank = 0; rank < k; rank++) {
          scores[trainLabels[neighbours[row * k + rank]!]!]! += Math.exp(similarities[row * k + rank]! / temperature);
        }
        let best = 0;
        for (let label = 1; label < numClasses; label++) if (scores[label]! > scores[best]!) best = label;
        predictions[start + row] = best;
      }
    }
  } finally {
    trainTransposed.dispose();
  }
  if (testLabels === undefined) return { predictions };
  let correct = 0;
  for (let row = 0; row < testCount; row++) if (predictions[row] === testLabels[row]) correct++;
  return { predictions, accuracy: testCount === 0 ? 0 : correct / testCount };
}
