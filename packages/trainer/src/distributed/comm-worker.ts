// Entry of the communication worker thread: runs the rendezvous, then executes collectives in request order.
import { parentPort, workerData } from 'node:worker_threads';
import { DistributedError, toErrorDetails } from './distributed-error';
import type { Participant } from './participant';
import {
  CONTROL_SLOTS,
  type OperationHeader,
  type WorkerConfig,
  type WorkerReply,
  type WorkerRequest,
  type WorkerStartup,
} from './protocol';
import { startParticipant } from './rendezvous';

const config = workerData as WorkerConfig;
const port = parentPort!;
const control = new Int32Array(config.control);
let pendingSync: WorkerRequest | undefined;

function progress(): void {
  Atomics.add(control, CONTROL_SLOTS.progress, 1);
}

/** Synchronous requests: the reply goes to the sync port first, then the control word wakes the main thread. */
function reply(request: WorkerRequest, error?: unknown): void {
  const message: WorkerReply = { type: 'reply', id: request.id };
  if (error !== undefined) message.error = toErrorDetails(error);
  if (request.sync) {
    config.syncPort.postMessage(message);
    Atomics.store(control, CONTROL_SLOTS.completedSync, request.id);
    Atomics.notify(control, CONTROL_SLOTS.completedSync);
  } else {
    config.asyncPort.postMessage(message);
  }
}

async function execute(participant: Participant, request: WorkerRequest, seq: number): Promise<void> {
  if (request.sync) pendingSync = request;
  try {
    if (request.kind === 'destroy') {
      await participant.destroy();
    } else {
      const header: OperationHeader = {
        seq,
        kind: request.kind,
        dtype: request.dtype,
        count: request.count,
        op: request.op,
        root: request.root,
      };
      await participant.execute(header, request.buffer!);
    }
    pendingSync = undefined;
    reply(request);
  } catch (error) {
    pendingSync = undefined;
    reply(request, error);
  }
}

async function main(): Promise<void> {
  let participant: Participant;
  try {
    participant = await startParticipant(config, progress);
  } catch (error) {
    const startup: WorkerStartup = { type: 'startup-error', error: toErrorDetails(error) };
    port.postMessage(startup);
    return;
  }
  const ready: WorkerStartup = {
    type: 'ready',
    backend: participant.backend,
    localWorldSize: participant.localWorldSize,
  };
  port.postMessage(ready);
  // One collective at a time, in the order the main thread issued them (sync and async alike).
  let queue: Promise<void> = Promise.resolve();
  port.on('message', (request: WorkerRequest) => {
    const seq = request.kind === 'destroy' ? 0 : participant.accept();
    queue = queue.then(() => execute(participant, request, seq));
    if (request.kind === 'destroy') {
      void queue.then(() => {
        port.close();
        config.syncPort.close();
        config.asyncPort.close();
      });
    }
  });
}

// A bug here must not leave the main thread blocked in Atomics.wait until its backstop fires.
process.on('uncaughtException', (error) => {
  if (pendingSync) {
    const request = pendingSync;
    pendingSync = undefined;
    reply(
      request,
      new DistributedError({ code: 'internal', message: `the communication worker crashed: ${error.stack ?? error.message}` }),
    );
  }
});

void main();
