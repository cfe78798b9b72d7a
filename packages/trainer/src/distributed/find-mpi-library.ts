// Finds and opens the MPI library: MSN_MPI_LIBRARY, else the usual names of Open MPI's and MPICH's libraries.
import { DistributedError } from './distributed-error';
import { INSTALL_ADVICE, openMpiLibrary, type Koffi, type MpiLibraryHandle } from './mpi-library-handle';
import type { MpiLauncherFamily } from './mpi-launcher';

const OPEN_MPI_NAMES = ['libmpi.so.40', 'libmpi.40.dylib', '/opt/homebrew/lib/libmpi.dylib', '/usr/local/lib/libmpi.dylib'];
// libmpi.so.12 is the MPICH ABI's common soname (MPICH ≥ 3.1, Intel MPI, MVAPICH, Cray MPICH).
const MPICH_NAMES = ['libmpi.so.12', 'libmpich.so.12', 'libmpich.12.dylib', '/opt/homebrew/lib/libmpich.dylib'];

/** Library names in the order they are tried: the launcher's own family first, so mpirun.mpich finds MPICH. */
export function mpiLibraryCandidates(family: MpiLauncherFamily | undefined): string[] {
  const names = family === 'pmi' ? [...MPICH_NAMES, ...OPEN_MPI_NAMES] : [...OPEN_MPI_NAMES, ...MPICH_NAMES];
  return [...names, 'libmpi.so', 'libmpich.so'];
}

/**
 * Opens `explicitPath` (MSN_MPI_LIBRARY), else the first candidate that loads.
 * @throws {DistributedError} `mpi-unavailable`, naming what was tried and what to install.
 */
export function findMpiLibrary(koffi: Koffi, explicitPath: string | undefined, family: MpiLauncherFamily | undefined): MpiLibraryHandle {
  if (explicitPath !== undefined && explicitPath !== '') {
    try {
      return openMpiLibrary(koffi, explicitPath);
    } catch (error) {
      throw new DistributedError(
        {
          code: 'mpi-unavailable',
          message: `MSN_MPI_LIBRARY=${explicitPath} could not be loaded (${(error as Error).message}); expected the path of an MPI shared library (libmpi.so.40, libmpich.so.12, …)`,
        },
        { cause: error },
      );
    }
  }
  const failures: string[] = [];
  for (const name of mpiLibraryCandidates(family)) {
    try {
      return openMpiLibrary(koffi, name);
    } catch (error) {
      failures.push(`${name}: ${(error as Error).message.split('\n')[0]}`);
    }
  }
  throw new DistributedError({
    code: 'mpi-unavailable',
    message: `no MPI library found (tried ${failures.join('; ')}): ${INSTALL_ADVICE}`,
  });
}
