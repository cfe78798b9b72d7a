// A process group whose collectives are MPI calls (Open MPI or MPICH through koffi), synchronous on the main thread.
import { CollectiveGroup, destroyedError, type PreparedCollective } from './collective-group';
import { MPI_MAX_COUNT } from './mpi-abi';
import type { MpiSession } from './mpi-session';
import { typedView } from './typed-view';
import { BYTES_PER_ELEMENT } from './collective-types';

/** [start, end) element ranges of at most `maxCount` elements covering `count`. */
export function countChunks(count: number, maxCount: number): [number, number][] {
  const chunks: [number, number][] = [];
  for (let start = 0; start < count; start += maxCount) chunks.push([start, Math.min(count, start + maxCount)]);
  return chunks.length === 0 ? [[0, 0]] : chunks;
}

/**
 * The ranks of an MPI job (`mpirun -np N`, `srun --mpi=pmix`, an MPIJob). Collectives block the calling thread
 * inside MPI, so they work in `tf.tidy` and gradient functions; `*Async` variants run at call time (program
 * order) and return a settled promise. Every rank receives the same result, as MPI's reductions give.
 */
export class MpiProcessGroup extends CollectiveGroup {
  readonly backend = 'mpi' as const;
  readonly rank: number;
  readonly worldSize: number;
  readonly localRank: number;
  readonly localWorldSize: number;
  /** The MPI library's version line, e.g. `Open MPI v4.1.4, package: Debian OpenMPI`. */
  readonly implementation: string;
  private destroyed = false;

  /**
   * @param maxCount elements per MPI call; longer buffers go in chunks (C's `int` count). Lower only in tests.
   */
  constructor(
    private readonly session: MpiSession,
    private readonly maxCount = MPI_MAX_COUNT,
  ) {
    super();
    this.rank = session.rank;
    this.worldSize = session.worldSize;
    this.localRank = session.localRank;
    this.localWorldSize = session.localWorldSize;
    this.implementation = session.version;
  }

  protected runSync(collective: PreparedCollective): ArrayBufferLike {
    if (this.destroyed) throw destroyedError(collective.kind);
    const { functions, abi, check } = this.session;
    const buffer = new ArrayBuffer(collective.byteLength);
    collective.fill(buffer);
    const view = typedView(buffer, collective.dtype, 0, collective.byteLength / BYTES_PER_ELEMENT[collective.dtype]);
    const datatype = abi.datatypes[collective.dtype];
    const world = abi.commWorld;
    const broadcastRange = (start: number, end: number, root: number) => {
      for (const [from, to] of countChunks(end - start, this.maxCount)) {
        check(functions.broadcast(view.subarray(start + from, start + to), to - from, datatype, root, world), 'MPI_Bcast');
      }
    };
    switch (collective.kind) {
      case 'allReduce':
        for (const [start, end] of countChunks(collective.count, this.maxCount)) {
          check(functions.allReduce(abi.inPlace, view.subarray(start, end), end - start, datatype, abi.sum, world), 'MPI_Allreduce');
        }
        // mean = the sum divided by worldSize in float32, as torch.distributed's AVG on CPU.
        if (collective.op === 'mean') for (let index = 0; index < view.length; index++) view[index]! /= this.worldSize;
        break;
      case 'broadcast':
        broadcastRange(0, collective.count, collective.root);
        break;
      case 'allGather':
        if (collective.count <= this.maxCount) {
          check(functions.allGather(abi.inPlace, 0, datatype, view, collective.count, datatype, world), 'MPI_Allgather');
        } else {
          // Allgather's count is per rank; a longer block goes as one chunked broadcast from each rank.
          for (let root = 0; root < this.worldSize; root++) broadcastRange(root * collective.count, (root + 1) * collective.count, root);
        }
        break;
      case 'barrier':
        check(functions.barrier(world), 'MPI_Barrier');
        break;
    }
    return buffer;
  }

  /** Calls MPI_Finalize (collective: every rank must destroy its group). Later collectives throw; idempotent. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.session.finalize();
  }
}
