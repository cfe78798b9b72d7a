// The handles and constants of one MPI implementation's C ABI (mpi.h defines them as macros, so they are not symbols).
import type { DataType } from './collective-types';

/**
 * What the binding needs from an implementation's `mpi.h`. Open MPI's handles are addresses of exported globals
 * (`bigint`); MPICH's (and its ABI family: Intel MPI, MVAPICH, Cray MPICH) are 32-bit integers.
 */
export interface MpiAbi {
  /** Implementation family, for messages. */
  readonly name: 'Open MPI' | 'MPICH';
  /** The C type of `MPI_Comm`, `MPI_Datatype`, `MPI_Op` and `MPI_Info` in koffi prototypes. */
  readonly handleType: 'intptr_t' | 'int';
  readonly commWorld: bigint | number;
  readonly infoNull: bigint | number;
  readonly sum: bigint | number;
  /** `MPI_FLOAT`, `MPI_INT`, `MPI_BYTE` by the element type the collectives move. */
  readonly datatypes: Readonly<Record<DataType, bigint | number>>;
  /** `MPI_IN_PLACE`, a sentinel pointer value, passed as an `intptr_t`. */
  readonly inPlace: number;
  readonly commTypeShared: number;
}

/** `MPI_THREAD_FUNNELED`, the same in every ABI (only the main thread calls MPI; tfjs's threads never do). */
export const MPI_THREAD_FUNNELED = 1;

/** `MPI_SUCCESS`, the same in every ABI. */
export const MPI_SUCCESS = 0;

/** Largest `count` argument of a C MPI call (`int`); longer buffers go in chunks. */
export const MPI_MAX_COUNT = 2 ** 31 - 1;
