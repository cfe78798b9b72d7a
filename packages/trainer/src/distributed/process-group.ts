// The process group contract shared by both implementations (a single process, an MPI job).
import type * as tf from '@tensorflow/tfjs-core';
import type { ReduceOp } from './collective-types';

/** Backend a group runs on: `single` for a world of one process (every collective is a copy), `mpi` under an MPI launcher. */
export type ProcessGroupBackend = 'single' | 'mpi';

/** Typed arrays `allReduce` accepts (int32 sums wrap at 2³², like any int32 addition). */
export type ReducibleArray = Float32Array | Int32Array;

/** Typed arrays `broadcast` and `allGather` accept. */
export type TransferableArray = Float32Array | Int32Array | Uint8Array;

/**
 * A set of cooperating processes (ranks 0 … worldSize−1) and the collectives between them, in the style of
 * `torch.distributed`. Every rank must call the same collectives in the same order with the same sizes (as in
 * any MPI program, a mismatch is not detected: it hangs or exchanges garbage).
 *
 * Synchronous collectives block the calling thread inside MPI and can therefore be used inside `tf.tidy` and
 * gradient functions. Tensors in, new tensors out (same shape and dtype; the caller owns them, arguments are
 * never disposed). `*Async` variants run at call time (program order is what matters) and return a settled
 * promise, for code written against an overlapping implementation.
 *
 * Every rank receives the same result (MPI's reductions; float32 sums in the order of the library's
 * algorithm). `mean` divides the sum by worldSize in float32.
 *
 * A rank that dies ends the job: the MPI launcher stops every rank and names the one that failed. An MPI call
 * that returns an error throws a `mpi-error` {@link DistributedError}.
 */
export interface ProcessGroup {
  /** This process's rank, 0 … worldSize−1. */
  readonly rank: number;
  /** Number of processes in the group. */
  readonly worldSize: number;
  /** Rank among the processes on this machine (MPI_Comm_split_type(MPI_COMM_TYPE_SHARED)). */
  readonly localRank: number;
  /** Number of group processes on this machine. */
  readonly localWorldSize: number;
  /** Backend the group runs on. */
  readonly backend: ProcessGroupBackend;

  /**
   * Element-wise sum (or mean) over all ranks; returns a new tensor of the same shape and dtype.
   * @param op `sum` or `mean` (float32 only). @default 'sum'
   */
  allReduce<T extends tf.Tensor>(tensor: T, op?: ReduceOp): T;
  /** Element-wise sum (or mean) over all ranks; returns a new array. */
  allReduce<A extends ReducibleArray>(data: A, op?: ReduceOp): A;
  /** {@link allReduce}, enqueued now and completed in the background. */
  allReduceAsync<T extends tf.Tensor>(tensor: T, op?: ReduceOp): Promise<T>;
  allReduceAsync<A extends ReducibleArray>(data: A, op?: ReduceOp): Promise<A>;
  /**
   * Element-wise sum (or mean) over all ranks, written back into `data`: no allocation, so the fastest form
   * for large buffers (a fresh 64 MiB array costs tens of milliseconds in page faults alone).
   * @param op `sum` or `mean` (float32 only). @default 'sum'
   */
  allReduceInPlace(data: ReducibleArray, op?: ReduceOp): void;
  /** {@link allReduceInPlace}, enqueued now; `data` is overwritten when the promise resolves. */
  allReduceInPlaceAsync(data: ReducibleArray, op?: ReduceOp): Promise<void>;
  /**
   * All-reduces several tensors of one dtype as a single flat buffer (one collective instead of many, as
   * DDP's gradient buckets do) and returns new tensors of the original shapes. The summation order is that
   * of the concatenated buffer.
   */
  allReduceCoalesced<T extends tf.Tensor>(tensors: readonly T[], op?: ReduceOp): T[];
  /** {@link allReduceCoalesced}, enqueued now and completed in the background. */
  allReduceCoalescedAsync<T extends tf.Tensor>(tensors: readonly T[], op?: ReduceOp): Promise<T[]>;

  /**
   * Returns a copy of `root`'s tensor on every rank. Other ranks pass a tensor of the same shape and dtype
   * (its values are ignored), as in `torch.distributed.broadcast`.
   * @param root the source rank. @default 0
   */
  broadcast<T extends tf.Tensor>(tensor: T, root?: number): T;
  broadcast<A extends TransferableArray>(data: A, root?: number): A;
  broadcastAsync<T extends tf.Tensor>(tensor: T, root?: number): Promise<T>;
  broadcastAsync<A extends TransferableArray>(data: A, root?: number): Promise<A>;
  /**
   * Returns `root`'s JSON-serialisable value on every rank (JSON round trip on all ranks, root included);
   * the others' `value` is ignored. Two collectives: the length, then the bytes.
   * @param root the source rank. @default 0
   */
  broadcastObject<V>(value: V, root?: number): V;

  /**
   * Gathers every rank's tensor (same shape and dtype everywhere) into one tensor `[worldSize, ...shape]`,
   * row r from rank r.
   */
  allGather(tensor: tf.Tensor): tf.Tensor;
  /** Gathers every rank's array into one array of worldSize · length elements, rank r's at r · length. */
  allGather<A extends TransferableArray>(data: A): A;
  allGatherAsync(tensor: tf.Tensor): Promise<tf.Tensor>;
  allGatherAsync<A extends TransferableArray>(data: A): Promise<A>;

  /** Returns once every rank has called `barrier` (the same collective position on every rank). */
  barrier(): void;
  barrierAsync(): Promise<void>;

  /**
   * Leaves the group (MPI: MPI_Finalize, which every rank must reach). Later collectives throw a `destroyed`
   * {@link DistributedError}. Idempotent. A process that exits without it finalises at exit.
   */
  destroy(): void;
}
