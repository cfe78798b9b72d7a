// Worker-thread entry of the DataLoader: rebuilds dataset and transform, then builds batches one at a time.
import { parentPort } from 'node:worker_threads';
import { assembleBatch, type SampleLoader } from './batch-assembly';
import { datasetFromSource } from './dataset-source';
import { DataFileError, DataLoaderError } from '@msn/errors';
import { ImageFolder } from './image-folder';
import type { DatasetSource, ImageDataset } from './image-dataset';
import type { Sample } from './image';
import { transformFromSpec } from './transform-spec';
import type { ViewTransform } from './view-transform';
import type { WorkerRequest, WorkerResponse, WorkerTask } from './worker-protocol';

interface State {
  dataset: ImageDataset | null;
  skipOnError: boolean;
  transform: ViewTransform<unknown>;
  seed: number;
}

let state: State | undefined;
let queue: Promise<void> = Promise.resolve();

function post(response: WorkerResponse, transfer: ArrayBuffer[] = []): void {
  parentPort!.postMessage(response, transfer);
}

async function runTask(task: WorkerTask): Promise<void> {
  try {
    if (state === undefined) throw new Error('worker received a batch before its init message');
    const { dataset, transform, seed, skipOnError } = state;
    const reasons = new Map<number, string>();
    let load: SampleLoader;
    if (task.samples !== undefined) {
      const byIndex = new Map(task.indices.map((index, position) => [index, task.samples![position] ?? null]));
      load = (index) => Promise.resolve(byIndex.get(index) ?? null);
    } else if (dataset instanceof ImageFolder && skipOnError) {
      // Decode regardless of policy and report skips with their reason; the main thread warns and counts.
      load = async (index) => {
        try {
          return await dataset.decode(index);
        } catch (error) {
          if (!(error instanceof DataFileError)) throw error;
          reasons.set(index, error.message);
          return null;
        }
      };
    } else {
      load = (index): Promise<Sample | null> => dataset!.get(index);
    }
    const batch = await assembleBatch(load, transform, seed, task.epoch, task.indices, reasons);
    const transfer = batch.views.map((view) => view.buffer as ArrayBuffer);
    if (batch.labels !== null) transfer.push(batch.labels.buffer as ArrayBuffer);
    post({ type: 'batch', id: task.id, batch }, transfer);
  } catch (error) {
    const failure = error instanceof Error ? error : new Error(String(error));
    post({
      type: 'error',
      id: task.id,
      message: failure.message,
      name: failure.name,
      ...(failure.stack === undefined ? {} : { stack: failure.stack }),
      ...(failure instanceof DataLoaderError && failure.index !== undefined ? { index: failure.index } : {}),
      ...(failure instanceof DataLoaderError && failure.file !== undefined ? { file: failure.file } : {}),
    });
  }
}

// An ImageFolder with onError 'skip', or a subset of one.
function skipsOnError(source: DatasetSource): boolean {
  return source.kind === 'subset' ? skipsOnError(source.parent) : source.kind === 'image-folder' && source.onError === 'skip';
}

parentPort!.on('message', (request: WorkerRequest) => {
  if (request.type === 'init') {
    state = {
      dataset: request.source === null ? null : datasetFromSource(request.source),
      skipOnError: request.source !== null && skipsOnError(request.source),
      transform: transformFromSpec(request.transform),
      seed: request.seed,
    };
    return;
  }
  // One batch at a time: the transform's scratch buffers are reused across samples.
  queue = queue.then(() => runTask(request));
});
