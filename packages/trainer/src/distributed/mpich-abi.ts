// MPICH's ABI (MPICH ≥ 3.1, Intel MPI, MVAPICH, Cray MPICH: libmpi.so.12 / libmpich.so.12): integer handles from mpi.h.
import type { MpiAbi } from './mpi-abi';

/** Checked against Debian's libmpich-dev 4.0.2 (/usr/include/x86_64-linux-gnu/mpich/mpi.h). */
export const MPICH_ABI: MpiAbi = {
  name: 'MPICH',
  handleType: 'int',
  commWorld: 0x44000000,
  infoNull: 0x1c000000,
  sum: 0x58000003,
  datatypes: { float32: 0x4c00040a, int32: 0x4c000405, uint8: 0x4c00010d },
  inPlace: -1, // #define MPI_IN_PLACE (void *) -1
  commTypeShared: 1,
};
