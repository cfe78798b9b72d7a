// Messages and shared-memory layout between the main thread and its communication worker thread.
import type { MessagePort } from 'node:worker_threads';
import type { DistributedErrorDetails } from './distributed-error';

/** Element types the collectives move; `uint8` carries serialised objects for `broadcastObject`. */
export type DataType = 'float32' | 'int32' | 'uint8';

/** Reduction applied by `allReduce`. */
export type ReduceOp = 'sum' | 'mean';

/** Collectives as they appear in error messages and on the wire. */
export type CollectiveKind = 'allReduce' | 'broadcast' | 'allGather' | 'barrier';

/** Backend choice: `auto` takes shared memory when every rank is on one host and can share a file. */
export type BackendPreference = 'auto' | 'shm' | 'tcp';

/** Backend a multi-process group actually runs on. */
export type TransportBackend = 'shm' | 'tcp';

export const BYTES_PER_ELEMENT: Record<DataType, number> = { float32: 4, int32: 4, uint8: 1 };

/**
 * What a collective is, as every rank must agree on it. Ranks exchange it at the start of every operation
 * (ring neighbours or the coordinator compare), so a rank calling a different collective fails loudly instead
 * of exchanging garbage.
 */
export interface OperationHeader {
  /** 1-based position of the collective in the group's program order. */
  seq: number;
  kind: CollectiveKind;
  dtype: DataType;
  /** Elements each rank contributes (the whole buffer for allReduce and broadcast). */
  count: number;
  op: ReduceOp | 'none';
  /** Source rank of a broadcast, 0 otherwise. */
  root: number;
}

/** `allReduce #17 (float32 × 1000, sum)`: how errors name an operation. */
export function describeOperation(header: OperationHeader): string {
  const detail = [`${header.dtype} × ${header.count}`];
  if (header.op !== 'none') detail.push(header.op);
  if (header.kind === 'broadcast') detail.push(`root ${header.root}`);
  return `${header.kind} #${header.seq} (${detail.join(', ')})`;
}

/** True when two ranks' headers describe the same collective. */
export function sameOperation(left: OperationHeader, right: OperationHeader): boolean {
  return (
    left.seq === right.seq &&
    left.kind === right.kind &&
    left.dtype === right.dtype &&
    left.count === right.count &&
    left.op === right.op &&
    left.root === right.root
  );
}

/** Int32 slots of the control SharedArrayBuffer shared by the main thread and its worker. */
export const CONTROL_SLOTS = {
  /** Id of the last completed synchronous request; the main thread `Atomics.wait`s on it. */
  completedSync: 0,
  /** Bumped whenever the worker makes progress (data arrived, a barrier released), for the main-thread backstop. */
  progress: 1,
} as const;
export const CONTROL_LENGTH = 4;

/** A request from the main thread: run one collective on `buffer` (in place), or shut down. */
export interface WorkerRequest {
  id: number;
  /** Synchronous requests complete through the control buffer and the sync port, asynchronous ones by message. */
  sync: boolean;
  kind: CollectiveKind | 'destroy';
  dtype: DataType;
  count: number;
  op: ReduceOp | 'none';
  root: number;
  /** Input and output; for allGather it holds worldSize slots of `count` elements, this rank's slot filled. */
  buffer?: SharedArrayBuffer;
}

/** Completion of a request; `error` when it failed. */
export interface WorkerReply {
  type: 'reply';
  id: number;
  error?: DistributedErrorDetails;
}

/** What the worker reports once the rendezvous finished (or failed). */
export type WorkerStartup =
  | { type: 'ready'; backend: TransportBackend; localWorldSize: number }
  | { type: 'startup-error'; error: DistributedErrorDetails };

/** Everything the worker needs, passed as `workerData`. */
export interface WorkerConfig {
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
  control: SharedArrayBuffer;
  /** Replies to synchronous requests (read with receiveMessageOnPort while the main thread waits). */
  syncPort: MessagePort;
  /** Replies to asynchronous requests (a listener; drained synchronously on destroy). */
  asyncPort: MessagePort;
}
