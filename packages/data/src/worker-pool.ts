// A fixed set of worker threads building batches; tasks go to the least busy worker, results come back in order.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { RawBatch } from './batch-assembly';
import { DataLoaderError } from '@msn/errors';
import type { WorkerInit, WorkerResponse, WorkerTask } from './worker-protocol';

interface Pending {
  resolve: (batch: RawBatch) => void;
  reject: (error: Error) => void;
  worker: number;
}

/**
 * Where the worker entry lives. Built package: `worker.js` next to the bundle (dist/). From source (vitest,
 * tsx): `worker.ts` next to this file, run through tsx's loader, which a worker thread has to register itself.
 */
function workerEntry(): { script: string | URL; eval: boolean } {
  const here = import.meta.url;
  if (!here.endsWith('.ts')) return { script: new URL('./worker.js', here), eval: false };
  const source = new URL('./worker.ts', here);
  const require = createRequire(here);
  let api = require.resolve('tsx/esm/api');
  // require.resolve picks the CommonJS build; the worker imports the ESM one beside it.
  const esm = api.replace(/\.cjs$/, '.mjs');
  if (existsSync(esm)) api = esm;
  const script = `import(${JSON.stringify(pathToFileURL(api).href)})` + `.then((tsx) => { tsx.register(); return import(${JSON.stringify(source.href)}); })`;
  return { script, eval: true };
}

/** Runs batch tasks on `count` worker threads. */
export class WorkerPool {
  private readonly workers: Worker[] = [];
  private readonly busy: number[] = [];
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private failure: Error | undefined;
  private closed = false;
  private closing: Promise<void> | undefined;

  /**
   * @param idleUnref Let the process exit while no task is pending (persistent pools outlive iterations and
   *   must not keep a finished program alive); threads are referenced again while they work.
   */
  constructor(
    count: number,
    init: WorkerInit,
    private readonly idleUnref = false,
  ) {
    const entry = workerEntry();
    for (let slot = 0; slot < count; slot++) {
      const worker = new Worker(entry.script, { eval: entry.eval });
      worker.on('message', (response: WorkerResponse) => this.receive(response));
      worker.on('error', (error: Error) => this.fail(new DataLoaderError(`DataLoader: worker ${slot} crashed: ${error.message}`, {}, { cause: error })));
      worker.on('exit', (code) => {
        if (!this.closed) this.fail(new DataLoaderError(`DataLoader: worker ${slot} exited unexpectedly with code ${code}`));
      });
      worker.postMessage(init);
      if (idleUnref) worker.unref();
      this.workers.push(worker);
      this.busy.push(0);
    }
  }

  /** True when it can take tasks (not closed, no worker failed). */
  get usable(): boolean {
    return !this.closed && this.failure === undefined;
  }

  /** Builds one batch on the least busy worker. */
  run(epoch: number, indices: number[], samples?: WorkerTask['samples']): Promise<RawBatch> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    if (this.closed) return Promise.reject(new DataLoaderError('DataLoader: the worker pool is closed'));
    let worker = 0;
    for (let slot = 1; slot < this.workers.length; slot++) if (this.busy[slot]! < this.busy[worker]!) worker = slot;
    const id = this.nextId++;
    const task: WorkerTask = { type: 'batch', id, epoch, indices, ...(samples === undefined ? {} : { samples }) };
    return new Promise<RawBatch>((resolve, reject) => {
      this.pending.set(id, { resolve, reject, worker });
      if (this.busy[worker]!++ === 0 && this.idleUnref) this.workers[worker]!.ref();
      this.workers[worker]!.postMessage(task);
    });
  }

  private receive(response: WorkerResponse): void {
    const pending = this.pending.get(response.id);
    if (pending === undefined) return;
    this.pending.delete(response.id);
    if (--this.busy[pending.worker]! === 0 && this.idleUnref) this.workers[pending.worker]!.unref();
    if (response.type === 'batch') {
      pending.resolve(response.batch);
      return;
    }
    const cause = Object.assign(new Error(response.message), { name: response.name, stack: response.stack });
    // Worker errors arrive as plain data; keep the sample and file they name.
    const message = response.message.startsWith('DataLoader:') ? response.message : `DataLoader: worker failed: ${response.message}`;
    pending.reject(
      new DataLoaderError(
        message,
        { ...(response.index === undefined ? {} : { index: response.index }), ...(response.file === undefined ? {} : { file: response.file }) },
        { cause },
      ),
    );
  }

  private fail(error: Error): void {
    if (this.closed || this.failure !== undefined) return;
    this.failure = error;
    for (const pending of this.pending.values()) pending.reject(error);
    this.pending.clear();
  }

  /** Stops every worker; pending tasks reject. Every call resolves once all threads have stopped. */
  close(): Promise<void> {
    if (this.closing === undefined) {
      this.closed = true;
      const aborted = new DataLoaderError('DataLoader: stopped before the batch was ready');
      for (const pending of this.pending.values()) pending.reject(aborted);
      this.pending.clear();
      this.closing = Promise.all(this.workers.map((worker) => worker.terminate())).then(() => undefined);
    }
    return this.closing;
  }

  /** Number of live worker threads (0 after close). */
  get size(): number {
    return this.closed ? 0 : this.workers.length;
  }
}
