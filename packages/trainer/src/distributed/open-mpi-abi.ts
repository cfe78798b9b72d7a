// Open MPI's ABI (3.x–5.x, libmpi.so.40): handles are the addresses of predefined globals (mpi.h's OMPI_PREDEFINED_GLOBAL).
import type { MpiAbi } from './mpi-abi';
import type { MpiLibraryHandle } from './mpi-library-handle';

/** True when the loaded library exports Open MPI's predefined communicator. */
export function isOpenMpi(library: MpiLibraryHandle): boolean {
  return library.addressOf('ompi_mpi_comm_world') !== undefined;
}

/** Reads Open MPI's handles from `library` (mpi.h: `#define MPI_COMM_WORLD OMPI_PREDEFINED_GLOBAL(MPI_Comm, ompi_mpi_comm_world)`). */
export function openMpiAbi(library: MpiLibraryHandle): MpiAbi {
  const address = (symbol: string): bigint => {
    const value = library.addressOf(symbol);
    if (value === undefined) throw new Error(`Open MPI library ${library.path} does not export ${symbol}`);
    return value;
  };
  return {
    name: 'Open MPI',
    handleType: 'intptr_t',
    commWorld: address('ompi_mpi_comm_world'),
    infoNull: address('ompi_mpi_info_null'),
    sum: address('ompi_mpi_op_sum'),
    datatypes: { float32: address('ompi_mpi_float'), int32: address('ompi_mpi_int'), uint8: address('ompi_mpi_byte') },
    inPlace: 1, // #define MPI_IN_PLACE ((void *) 1)
    commTypeShared: 0, // first member of the MPI_COMM_TYPE_* enum
  };
}
