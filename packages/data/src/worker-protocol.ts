// Messages between the DataLoader and its worker threads.
import type { RawBatch } from './batch-assembly';
import type { DatasetSource } from './image-dataset';
import type { Sample } from './image';
import type { TransformSpec } from './view-transform';

/** Sent once after spawning. `source` is null when the main thread decodes and sends images with each task. */
export interface WorkerInit {
  type: 'init';
  source: DatasetSource | null;
  transform: TransformSpec;
  seed: number;
}

/** One batch to build. */
export interface WorkerTask {
  type: 'batch';
  id: number;
  epoch: number;
  indices: number[];
  /** Decoded samples, aligned with `indices`, when the worker cannot load them itself. */
  samples?: (Sample | null)[];
}

export type WorkerRequest = WorkerInit | WorkerTask;

/** A failure, carried as plain data (errors do not keep their class across threads). */
export interface WorkerFailure {
  type: 'error';
  id: number;
  message: string;
  name: string;
  stack?: string;
  index?: number;
  file?: string;
}

export type WorkerResponse = { type: 'batch'; id: number; batch: RawBatch } | WorkerFailure;
