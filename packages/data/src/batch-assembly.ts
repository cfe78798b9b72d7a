// Builds one batch as typed arrays (decode + augment), identically on the main thread and in worker threads.
import { DataFileError, DataLoaderError, isMsnError } from '@msn/errors';
import { assertRgbImage, type Sample } from './image';
import type { ViewTransform } from './view-transform';

/** One batch before it becomes tensors: one NCHW Float32Array per view. */
export interface RawBatch {
  /** View v holds `indices.length × 3 × viewSizes[v]²` floats (NCHW). */
  views: Float32Array[];
  viewSizes: number[];
  /** Int32 labels, or null for an unlabelled dataset. */
  labels: Int32Array | null;
  /** Dataset indices of the batch items, in order. */
  indices: number[];
  /** Indices dropped from this batch because the dataset's error policy skipped them. */
  skipped: { index: number; reason: string }[];
}

/** Loads one sample; `null` means skipped, with the reason recorded by the loader. */
export type SampleLoader = (index: number) => Promise<Sample | null>;

/** Wraps any failure of one sample so the message names the sample (and the file, when there is one). */
export function sampleFailure(index: number, error: unknown): DataLoaderError {
  const message = error instanceof Error ? error.message : String(error);
  const file = error instanceof DataFileError ? error.file : (error as { file?: unknown } | null)?.file;
  return new DataLoaderError(`DataLoader: sample ${index} failed: ${message}`, { index, ...(typeof file === 'string' ? { file } : {}) }, { cause: error });
}

/**
 * Loads `indices` concurrently (I/O and sharp decoding overlap), then augments each kept sample into the view
 * buffers. Samples that resolve to `null` are left out; `skippedReasons` supplies their reasons.
 * @throws {DataLoaderError} naming the first failing sample.
 */
export async function assembleBatch(
  load: SampleLoader,
  transform: ViewTransform<unknown>,
  seed: number,
  epoch: number,
  indices: readonly number[],
  skippedReasons: Map<number, string> = new Map(),
): Promise<RawBatch> {
  const samples = await Promise.all(
    indices.map((index) =>
      // Through a promise chain so that a loader throwing synchronously is reported like a rejection.
      Promise.resolve(index)
        .then(load)
        .then(
          (sample) => sample,
          (error: unknown) => {
            throw isMsnError(error) && error instanceof DataLoaderError ? error : sampleFailure(index, error);
          },
        ),
    ),
  );
  const kept: { index: number; sample: Sample }[] = [];
  const skipped: { index: number; reason: string }[] = [];
  samples.forEach((sample, position) => {
    const index = indices[position]!;
    if (sample === null) skipped.push({ index, reason: skippedReasons.get(index) ?? 'skipped by the dataset' });
    else kept.push({ index, sample });
  });

  const labelled = kept.filter(({ sample }) => sample.label !== undefined).length;
  if (labelled !== 0 && labelled !== kept.length) {
    const unlabelled = kept.find(({ sample }) => sample.label === undefined)!;
    throw new DataLoaderError(`DataLoader: sample ${unlabelled.index} has no label but others in its batch do`, {
      index: unlabelled.index,
    });
  }
  const viewSizes = [...transform.viewSizes];
  const views = viewSizes.map((size) => new Float32Array(kept.length * 3 * size * size));
  const labels = labelled === 0 ? null : new Int32Array(kept.length);
  kept.forEach(({ index, sample }, slot) => {
    try {
      assertRgbImage('DataLoader', `dataset.get(${index}).image`, sample.image);
      if (labels !== null) {
        const label = sample.label!;
        if (!Number.isInteger(label) || label < 0 || label > 2147483647) {
          throw new DataLoaderError(`DataLoader: sample ${index} has label ${label}; expected a non-negative int32`, { index });
        }
        labels[slot] = label;
      }
      transform.applyInto(sample.image, { seed, epoch, index }, views, slot);
    } catch (error) {
      throw error instanceof DataLoaderError ? error : sampleFailure(index, error);
    }
  });
  return { views, viewSizes, labels, indices: kept.map(({ index }) => index), skipped };
}
