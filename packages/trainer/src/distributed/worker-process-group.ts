// A multi-process group: collectives run in a communication worker thread; the main thread blocks on Atomics.
import { MessageChannel, receiveMessageOnPort, type MessagePort, type Worker } from 'node:worker_threads';
import { CollectiveGroup, destroyedError, type PreparedCollective } from './collective-group';
import { DistributedError, type DistributedErrorDetails } from './distributed-error';
import {
  CONTROL_LENGTH,
  CONTROL_SLOTS,
  type BackendPreference,
  type TransportBackend,
  type WorkerConfig,
  type WorkerReply,
  type WorkerRequest,
  type WorkerStartup,
} from './protocol';
import { startCommunicationWorker } from './worker-location';

/** Settings of a multi-process group (resolved by `initProcessGroup`). */
export interface WorkerGroupSettings {
  rank: number;
  worldSize: number;
  localRank: number;
  masterAddr: string;
  masterPort: number;
  backend: BackendPreference;
  timeoutMs: number;
  rendezvousTimeoutMs: number;
  segmentBytes: number;
  shmSlotBytes: number;
  shmDirectory: string;
}

/** Extra wait beyond `timeoutMs` before the main thread gives up on a worker that reports no progress at all. */
const BACKSTOP_GRACE_MS = 15_000;
/** Granularity of the main thread's wait (it re-checks the progress counter this often). */
const WAIT_SLICE_MS = 1_000;

interface PendingAsync {
  buffer: SharedArrayBuffer;
  resolve: (buffer: ArrayBufferLike) => void;
  reject: (error: Error) => void;
}

/**
 * Main-thread half of a multi-process group. A synchronous collective copies its input into a shared buffer,
 * posts a request to the worker and sleeps in `Atomics.wait` until the worker stores the request id in the
 * control word (measured round trip: tens of microseconds). The worker runs the network or shared-memory
 * protocol asynchronously; requests execute strictly in the order they were issued.
 */
export class WorkerProcessGroup extends CollectiveGroup {
  readonly backend: TransportBackend;
  private syncBuffer = new SharedArrayBuffer(1 << 16);
  private nextId = 0;
  private readonly pending = new Map<number, PendingAsync>();
  private failure: DistributedErrorDetails | undefined;
  private destroyed = false;

  private constructor(
    private readonly settings: WorkerGroupSettings,
    private readonly worker: Worker,
    private readonly control: Int32Array,
    private readonly syncPort: MessagePort,
    private readonly asyncPort: MessagePort,
    backend: TransportBackend,
    readonly localWorldSize: number,
  ) {
    super();
    this.backend = backend;
    asyncPort.on('message', (reply: WorkerReply) => this.settleAsync(reply));
    // Only an outstanding async result keeps the process alive (see runAsync).
    asyncPort.unref();
    worker.on('error', (error) => this.workerDied(`crashed: ${error.message}`));
    worker.on('exit', (code) => {
      if (!this.destroyed) this.workerDied(`exited with code ${code}`);
    });
    worker.unref();
  }

  get rank(): number {
    return this.settings.rank;
  }

  get worldSize(): number {
    return this.settings.worldSize;
  }

  get localRank(): number {
    return this.settings.localRank;
  }

  /**
   * Starts the worker and waits for the rendezvous.
   * @throws {DistributedError} from the rendezvous (timeout, port in use, mismatched world size, …).
   */
  static async start(settings: WorkerGroupSettings): Promise<WorkerProcessGroup> {
    const control = new Int32Array(new SharedArrayBuffer(CONTROL_LENGTH * Int32Array.BYTES_PER_ELEMENT));
    const { port1: syncPort, port2: workerSyncPort } = new MessageChannel();
    const { port1: asyncPort, port2: workerAsyncPort } = new MessageChannel();
    const config: WorkerConfig = {
      ...settings,
      control: control.buffer as SharedArrayBuffer,
      syncPort: workerSyncPort,
      asyncPort: workerAsyncPort,
    };
    const worker = startCommunicationWorker(config, [workerSyncPort, workerAsyncPort]);
    const startup = await new Promise<WorkerStartup>((resolve, reject) => {
      const onMessage = (message: WorkerStartup) => {
        worker.off('error', onError);
        worker.off('exit', onExit);
        resolve(message);
      };
      const onError = (error: Error) => reject(error);
      const onExit = (code: number) =>
        reject(new DistributedError({ code: 'internal', message: `the communication worker exited with code ${code} during the rendezvous` }));
      worker.once('message', onMessage);
      worker.once('error', onError);
      worker.once('exit', onExit);
    });
    if (startup.type === 'startup-error') {
      void worker.terminate();
      syncPort.close();
      asyncPort.close();
      throw new DistributedError(startup.error);
    }
    return new WorkerProcessGroup(settings, worker, control, syncPort, asyncPort, startup.backend, startup.localWorldSize);
  }

  protected runSync(collective: PreparedCollective): ArrayBufferLike {
    this.assertUsable(collective.kind);
    if (this.syncBuffer.byteLength < collective.byteLength) {
      this.syncBuffer = new SharedArrayBuffer(2 ** Math.ceil(Math.log2(collective.byteLength)));
    }
    collective.fill(this.syncBuffer);
    const id = this.post(collective, true, this.syncBuffer);
    this.waitFor(id, collective.kind);
    const reply = receiveMessageOnPort(this.syncPort)?.message as WorkerReply | undefined;
    if (!reply || reply.id !== id) {
      this.failure = { code: 'internal', message: `the communication worker answered request ${reply?.id} instead of ${id}` };
      throw new DistributedError(this.failure);
    }
    if (reply.error) {
      this.failure ??= reply.error;
      throw new DistributedError(reply.error);
    }
    return this.syncBuffer;
  }

  protected runAsync(collective: PreparedCollective): Promise<ArrayBufferLike> {
    try {
      this.assertUsable(collective.kind);
    } catch (error) {
      return Promise.reject(error);
    }
    const buffer = new SharedArrayBuffer(collective.byteLength);
    collective.fill(buffer);
    const id = this.post(collective, false, buffer);
    // Keep the process alive while a result is outstanding (the worker and the port are unref'd otherwise).
    if (this.pending.size === 0) this.asyncPort.ref();
    return new Promise((resolve, reject) => this.pending.set(id, { buffer, resolve, reject }));
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    const id = ++this.nextId;
    const request: WorkerRequest = { id, sync: true, kind: 'destroy', dtype: 'uint8', count: 0, op: 'none', root: 0 };
    try {
      this.worker.postMessage(request);
      this.waitFor(id, 'destroy');
      receiveMessageOnPort(this.syncPort);
    } catch {
      // Leaving must not fail: the worker is terminated below either way.
    }
    // Async operations issued before destroy ran before it: settle them with their real outcome.
    for (let reply = receiveMessageOnPort(this.asyncPort); reply; reply = receiveMessageOnPort(this.asyncPort)) {
      this.settleAsync(reply.message as WorkerReply);
    }
    for (const [, pending] of this.pending) pending.reject(destroyedError('destroy'));
    this.pending.clear();
    this.syncPort.close();
    this.asyncPort.close();
    void this.worker.terminate();
  }

  private assertUsable(caller: string): void {
    if (this.destroyed) throw destroyedError(caller);
    if (this.failure) {
      throw new DistributedError({ ...this.failure, message: `${caller}: the process group failed earlier: ${this.failure.message}` });
    }
  }

  private post(collective: PreparedCollective, sync: boolean, buffer: SharedArrayBuffer): number {
    const id = ++this.nextId;
    const request: WorkerRequest = {
      id,
      sync,
      kind: collective.kind,
      dtype: collective.dtype,
      count: collective.count,
      op: collective.op,
      root: collective.root,
      buffer,
    };
    this.worker.postMessage(request);
    return id;
  }

  /**
   * Sleeps until the worker completes request `id`. The worker enforces `timeoutMs` itself (with a verdict
   * naming the culprit); this backstop only catches a worker that stopped making any progress at all.
   */
  private waitFor(id: number, caller: string): void {
    const { control } = this;
    let progress = Atomics.load(control, CONTROL_SLOTS.progress);
    let lastChange = Date.now();
    for (;;) {
      const completed = Atomics.load(control, CONTROL_SLOTS.completedSync);
      if (completed === id) return;
      Atomics.wait(control, CONTROL_SLOTS.completedSync, completed, WAIT_SLICE_MS);
      const now = Date.now();
      const current = Atomics.load(control, CONTROL_SLOTS.progress);
      if (current !== progress) {
        progress = current;
        lastChange = now;
      } else if (now - lastChange > this.settings.timeoutMs + BACKSTOP_GRACE_MS) {
        this.failure = {
          code: 'timeout',
          operation: caller,
          message: `${caller}: the communication worker made no progress for ${now - lastChange} ms`,
        };
        throw new DistributedError(this.failure);
      }
    }
  }

  private settleAsync(reply: WorkerReply): void {
    const pending = this.pending.get(reply.id);
    if (!pending) return;
    this.pending.delete(reply.id);
    if (this.pending.size === 0) this.asyncPort.unref();
    if (reply.error) {
      this.failure ??= reply.error;
      pending.reject(new DistributedError(reply.error));
    } else {
      pending.resolve(pending.buffer);
    }
  }

  private workerDied(reason: string): void {
    this.failure ??= { code: 'internal', message: `the communication worker ${reason}` };
    for (const [, pending] of this.pending) pending.reject(new DistributedError(this.failure));
    this.pending.clear();
  }
}

