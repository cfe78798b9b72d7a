// DataLoader: batches of augmented views as NCHW tensors, built in worker threads, prefetched, abortable.
import * as tf from '@tensorflow/tfjs-core';
import { assembleBatch, sampleFailure, type RawBatch } from './batch-assembly';
import { DataLoaderError, InvalidArgumentError, assertBoolean, assertInteger, assertOptions } from '@msn/errors';
import type { ImageDataset } from './image-dataset';
import { PlainTransform } from './plain-transform';
import { RandomSampler, SequentialSampler, type Sampler } from './sampler';
import type { ViewTransform } from './view-transform';
import { WorkerPool } from './worker-pool';

/** Options of {@link DataLoader}. */
export interface DataLoaderOptions<Views = tf.Tensor4D[]> {
  /** Samples per batch. */
  batchSize: number;
  /** Turns each image into its views. @default new PlainTransform() (one 224×224 view) */
  transform?: ViewTransform<Views>;
  /** Visit the samples in a fresh seeded permutation each epoch. Not with `sampler`. @default false */
  shuffle?: boolean;
  /** Chooses the indices of each epoch (e.g. a DistributedSampler); the loader calls its `setEpoch`. */
  sampler?: Sampler;
  /** Drop the last batch when it is smaller than `batchSize`. @default false */
  dropLast?: boolean;
  /** Seed of the shuffle and of the augmentation: views depend only on (seed, epoch, index). @default 0 */
  seed?: number;
  /**
   * Worker threads decoding and augmenting batches; 0 builds batches on the calling thread. Built-in
   * datasets and transforms are rebuilt inside the workers; a custom dataset (no `toSource`) is read on the
   * calling thread and its images are sent to the workers; a custom transform (no `toSpec`) needs 0.
   * @default 0
   */
  workers?: number;
  /** Batches being prepared ahead of the consumer (with workers). @default 2 × workers */
  prefetch?: number;
  /**
   * Keep the worker threads between iterations (torch's `persistent_workers`): no thread start-up and JIT
   * warm-up each epoch, which matters when epochs are short. Idle workers do not keep the process alive;
   * `close()` stops them, and a failure or an abort stops them as usual. @default false
   */
  persistentWorkers?: boolean;
  /** Aborts iteration: the pending `next()` rejects with the signal's reason and workers stop. */
  signal?: AbortSignal;
}

/** Per-iteration overrides. */
export interface IterateOptions {
  /** Epoch to produce (sets the next epoch to epoch + 1). @default the loader's next epoch */
  epoch?: number;
  /** Aborts this iteration (in addition to the loader's own signal). */
  signal?: AbortSignal;
  /**
   * Skips the epoch's first batches without loading them, to resume mid-epoch: the remaining batches are
   * exactly those an uninterrupted iteration would produce. @default 0
   */
  startBatch?: number;
}

/**
 * One batch. View tensors are NCHW float32 `[B, 3, size, size]`: with an MSNTransform by role
 * (`{ target, anchors, focal }`, see MSNViews), otherwise one per view in an array. Labels are int32 `[B]`.
 * The consumer owns every tensor and must dispose them (e.g. `tf.dispose([batch.views, batch.labels])`).
 */
export interface Batch<Views = tf.Tensor4D[]> {
  views: Views;
  labels?: tf.Tensor1D;
  /** Dataset index of each batch item. */
  indices: number[];
  /** Epoch the batch belongs to. */
  epoch: number;
  /** Indices left out of this batch because the dataset's error policy skipped them (already warned). */
  skipped: number[];
}

/** A batch before tensor creation: typed arrays only, usable without TensorFlow.js. */
export interface RawLoaderBatch extends RawBatch {
  epoch: number;
}

const KNOWN_OPTIONS = ['batchSize', 'transform', 'shuffle', 'sampler', 'dropLast', 'seed', 'workers', 'prefetch', 'persistentWorkers', 'signal'] as const;

function abortError(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new DataLoaderError(`DataLoader: aborted (${String(signal.reason)})`);
}

/** Resolves like `promise`, or rejects as soon as one of the signals aborts. */
function abortable<T>(promise: Promise<T>, signals: readonly AbortSignal[]): Promise<T> {
  if (signals.length === 0) return promise;
  return new Promise<T>((resolve, reject) => {
    const onAbort = (signal: AbortSignal) => () => {
      cleanup();
      reject(abortError(signal));
    };
    const listeners = signals.map((signal) => [signal, onAbort(signal)] as const);
    const cleanup = () => listeners.forEach(([signal, listener]) => signal.removeEventListener('abort', listener));
    for (const [signal, listener] of listeners) {
      if (signal.aborted) {
        listener();
        return;
      }
      signal.addEventListener('abort', listener, { once: true });
    }
    promise.then(
      (value) => {
        cleanup();
        resolve(value);
      },
      (error: unknown) => {
        cleanup();
        reject(error);
      },
    );
  });
}

/**
 * Iterates a dataset in batches of augmented views, as tensors (`for await (const batch of loader)`) or as
 * typed arrays (`loader.rawBatches()`).
 *
 * - Order: the sampler's (sequential by default, a seeded permutation with `shuffle`, or yours).
 * - Epochs: each iteration produces the loader's next epoch (0, 1, 2, … unless `setEpoch` or
 *   `{ epoch }` says otherwise) and passes it to the sampler and the transform.
 * - Reproducibility: the views of sample i in epoch e depend only on (seed, e, i), whatever the batch size,
 *   worker count or rank.
 * - Workers start with each iteration and stop when it completes, fails (the error names the sample and
 *   file), is aborted through a signal, or is left early (`break`, which calls the iterator's `return()`).
 *
 * @example
 * const loader = new DataLoader(new SyntheticShapes(), { batchSize: 64, shuffle: true, workers: 2,
 *   transform: new MSNTransform({ randomSize: 32, focalSize: 16 }) });
 * for await (const { views, labels } of loader) {
 *   const { target, anchors, focal } = views;              // [64, 3, 32, 32], [[64, 3, 32, 32]], [[64, 3, 16, 16] …]
 *   // … train …
 *   tf.dispose([views, labels]);                            // the consumer owns the tensors
 * }
 * @throws {InvalidArgumentError} for bad options (checked at construction).
 */
export class DataLoader<Views = tf.Tensor4D[]> implements AsyncIterable<Batch<Views>> {
  readonly dataset: ImageDataset;
  readonly batchSize: number;
  readonly transform: ViewTransform<Views>;
  readonly sampler: Sampler;
  readonly dropLast: boolean;
  readonly seed: number;
  readonly workers: number;
  readonly prefetch: number;
  readonly persistentWorkers: boolean;
  /**
   * `batches({ startBatch })` and `rawBatches({ startBatch })` skip the epoch's first batches without loading them;
   * `@msn/trainer`'s Trainer resumes mid-epoch with it.
   */
  readonly supportsStartBatch = true;
  private readonly signal: AbortSignal | undefined;
  private persistentPool: WorkerPool | undefined;
  private nextEpoch = 0;
  private skippedTotal = 0;
  private readonly pools = new Set<WorkerPool>();

  constructor(dataset: ImageDataset, options: DataLoaderOptions<Views>) {
    const caller = 'DataLoader';
    if (typeof dataset !== 'object' || dataset === null || typeof dataset.get !== 'function') {
      throw new InvalidArgumentError({ caller, argument: 'dataset', value: dataset, expected: 'an ImageDataset { length, get(index) }' });
    }
    assertInteger(caller, 'dataset.length', dataset.length, 1);
    assertOptions(caller, options, KNOWN_OPTIONS, '{ batchSize, … }');
    const { batchSize, shuffle = false, dropLast = false, seed = 0, workers = 0, sampler, signal, persistentWorkers = false } = options;
    assertInteger(caller, 'batchSize', batchSize, 1);
    assertBoolean(caller, 'shuffle', shuffle);
    assertBoolean(caller, 'dropLast', dropLast);
    assertInteger(caller, 'seed', seed, 0);
    assertInteger(caller, 'workers', workers, 0);
    assertBoolean(caller, 'persistentWorkers', persistentWorkers);
    const prefetch = options.prefetch ?? 2 * Math.max(workers, 1);
    assertInteger(caller, 'prefetch', prefetch, 1);
    if (sampler !== undefined) {
      if (shuffle) {
        throw new InvalidArgumentError({
          caller,
          argument: 'shuffle',
          value: shuffle,
          expected: 'false when a sampler is given (the sampler decides the order)',
        });
      }
      if (typeof sampler !== 'object' || typeof sampler.indices !== 'function' || typeof sampler.setEpoch !== 'function') {
        throw new InvalidArgumentError({ caller, argument: 'sampler', value: sampler, expected: 'a Sampler { length, setEpoch(epoch), indices() }' });
      }
    }
    // Without a transform the views are PlainTransform's array, which is the default `Views`.
    const transform = options.transform ?? (new PlainTransform() as unknown as ViewTransform<Views>);
    if (typeof transform !== 'object' || transform === null || typeof transform.applyInto !== 'function' || !Array.isArray(transform.viewSizes)) {
      throw new InvalidArgumentError({ caller, argument: 'transform', value: transform, expected: 'a ViewTransform (MSNTransform, PlainTransform, …)' });
    }
    if (workers > 0 && typeof transform.toSpec !== 'function') {
      throw new InvalidArgumentError({
        caller,
        argument: 'workers',
        value: workers,
        expected: '0 with a custom transform (only transforms with toSpec(), like MSNTransform and PlainTransform, run in workers)',
      });
    }
    if (signal !== undefined && !(typeof signal === 'object' && typeof signal.addEventListener === 'function')) {
      throw new InvalidArgumentError({ caller, argument: 'signal', value: signal, expected: 'an AbortSignal' });
    }
    this.dataset = dataset;
    this.batchSize = batchSize;
    this.transform = transform;
    this.sampler = sampler ?? (shuffle ? new RandomSampler(dataset.length, { seed }) : new SequentialSampler(dataset.length));
    this.dropLast = dropLast;
    this.seed = seed;
    this.workers = workers;
    this.prefetch = prefetch;
    this.persistentWorkers = persistentWorkers;
    this.signal = signal;
  }

  /** Batches per epoch (fewer may come when the dataset skips samples). */
  get length(): number {
    const count = this.sampler.length;
    return this.dropLast ? Math.floor(count / this.batchSize) : Math.ceil(count / this.batchSize);
  }

  /** Samples skipped (by the dataset's error policy) over the loader's lifetime. */
  get skipped(): number {
    return this.skippedTotal;
  }

  /** Worker threads currently running (0 between iterations unless `persistentWorkers`). */
  get activeWorkers(): number {
    let count = this.persistentPool?.size ?? 0;
    for (const pool of this.pools) if (pool !== this.persistentPool) count += pool.size;
    return count;
  }

  /** Stops persistent worker threads (a no-op otherwise); the next iteration starts new ones. */
  async close(): Promise<void> {
    const pool = this.persistentPool;
    this.persistentPool = undefined;
    await pool?.close();
  }

  /** The epoch the next iteration produces. */
  get epoch(): number {
    return this.nextEpoch;
  }

  /**
   * Makes the next iteration produce `epoch` (then epoch + 1, …), e.g. when resuming.
   * @throws {InvalidArgumentError} unless `epoch` is a non-negative integer.
   */
  setEpoch(epoch: number): void {
    assertInteger('DataLoader.setEpoch', 'epoch', epoch, 0);
    this.nextEpoch = epoch;
  }

  [Symbol.asyncIterator](): AsyncGenerator<Batch<Views>> {
    return this.batches();
  }

  /**
   * Tensor batches of one epoch. The consumer owns (and must dispose) every tensor it receives; tensors of
   * batches never handed out are never created.
   */
  async *batches(options: IterateOptions = {}): AsyncGenerator<Batch<Views>> {
    for await (const raw of this.rawBatches(options)) {
      const tensors = raw.views.map((data, view) => tf.tensor4d(data, [raw.indices.length, 3, raw.viewSizes[view]!, raw.viewSizes[view]!], 'float32'));
      const views = (this.transform.groupBatch?.(tensors) ?? tensors) as Views;
      const batch: Batch<Views> = { views, indices: raw.indices, epoch: raw.epoch, skipped: raw.skipped.map(({ index }) => index) };
      if (raw.labels !== null) batch.labels = tf.tensor1d(raw.labels, 'int32');
      yield batch;
    }
  }

  /**
   * Typed-array batches of one epoch (`views[v]` is NCHW float32 `[B·3·size²]`), without TensorFlow.js.
   * @throws {DataLoaderError} naming the sample (and file) that failed; the signal's reason when aborted.
   */
  async *rawBatches(options: IterateOptions = {}): AsyncGenerator<RawLoaderBatch> {
    const epoch = options.epoch ?? this.nextEpoch;
    assertInteger('DataLoader.rawBatches', 'epoch', epoch, 0);
    this.nextEpoch = epoch + 1;
    const signals = [this.signal, options.signal].filter((signal): signal is AbortSignal => signal !== undefined);
    const checkAbort = () => {
      const aborted = signals.find((signal) => signal.aborted);
      if (aborted !== undefined) throw abortError(aborted);
    };
    checkAbort();

    this.sampler.setEpoch(epoch);
    const order = this.sampler.indices();
    for (const index of order) {
      if (!Number.isInteger(index) || index < 0 || index >= this.dataset.length) {
        throw new DataLoaderError(`DataLoader: the sampler produced index ${index}, outside the dataset's [0, ${this.dataset.length - 1}]`);
      }
    }
    const startBatch = options.startBatch ?? 0;
    assertInteger('DataLoader.rawBatches', 'startBatch', startBatch, 0);
    const chunks: number[][] = [];
    for (let start = startBatch * this.batchSize; start < order.length; start += this.batchSize) {
      const chunk = order.slice(start, start + this.batchSize);
      if (chunk.length < this.batchSize && this.dropLast) break;
      chunks.push(chunk);
    }

    const finish = (raw: RawBatch): RawLoaderBatch => {
      for (const { index, reason } of raw.skipped) {
        this.skippedTotal++;
        // Built in a worker: the dataset on this thread warns and counts (its own get() did so otherwise).
        if (this.workers > 0 && this.dataset.toSource !== undefined) this.dataset.reportSkipped?.(index, reason);
      }
      return { ...raw, epoch };
    };

    if (this.workers === 0) {
      const load = (index: number) => this.dataset.get(index);
      for (const chunk of chunks) {
        checkAbort();
        const raw = finish(await abortable(assembleBatch(load, this.transform, this.seed, epoch, chunk), signals));
        if (raw.indices.length > 0) yield raw;
      }
      return;
    }

    const source = this.dataset.toSource?.() ?? null;
    const init = { type: 'init', source, transform: this.transform.toSpec!(), seed: this.seed } as const;
    let pool: WorkerPool;
    if (this.persistentWorkers) {
      // A pool that failed or was aborted is replaced; a healthy one is reused across iterations.
      if (this.persistentPool === undefined || !this.persistentPool.usable) {
        this.persistentPool = new WorkerPool(this.workers, init, true);
      }
      pool = this.persistentPool;
    } else {
      pool = new WorkerPool(this.workers, init);
    }
    this.pools.add(pool);
    // Stop the threads as soon as a signal aborts, even while the consumer holds a batch and calls nothing.
    const stop = () => void pool.close();
    for (const signal of signals) signal.addEventListener('abort', stop, { once: true });
    const submit = (chunk: number[]): Promise<RawBatch> => {
      const result =
        source !== null
          ? pool.run(epoch, chunk)
          : Promise.all(
              chunk.map((index) =>
                // Through a promise chain so that a dataset throwing synchronously is reported the same way.
                Promise.resolve(index)
                  .then((position) => this.dataset.get(position))
                  .catch((error: unknown) => {
                    throw sampleFailure(index, error);
                  }),
              ),
            ).then((samples) => pool.run(epoch, chunk, samples));
      // Rejections of batches still queued when iteration stops are expected; the awaited one still throws.
      result.catch(() => undefined);
      return result;
    };
    let failed = false;
    try {
      const queued: Promise<RawBatch>[] = [];
      let next = 0;
      while (next < chunks.length && queued.length < this.prefetch) queued.push(submit(chunks[next++]!));
      while (queued.length > 0) {
        checkAbort();
        const raw = finish(await abortable(queued.shift()!, signals));
        if (next < chunks.length) queued.push(submit(chunks[next++]!));
        if (raw.indices.length > 0) yield raw;
      }
    } catch (error) {
      failed = true;
      throw error;
    } finally {
      for (const signal of signals) signal.removeEventListener('abort', stop);
      this.pools.delete(pool);
      // A persistent pool survives a completed iteration or an early `break`; failures and aborts stop it.
      const keep = pool === this.persistentPool && pool.usable && !failed;
      if (!keep) {
        if (pool === this.persistentPool) this.persistentPool = undefined;
        await pool.close();
      }
    }
  }
}
