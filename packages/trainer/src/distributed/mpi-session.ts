// MPI's process-wide state: the library, MPI_Init_thread once, MPI_Finalize (or MPI_Abort on failure) at exit.
import { MPI_SUCCESS, MPI_THREAD_FUNNELED, type MpiAbi } from './mpi-abi';
import { bindMpiFunctions, readLibraryVersion, type MpiFunctions, type OutInt } from './mpi-bindings';
import { DistributedError } from './distributed-error';
import { findMpiLibrary } from './find-mpi-library';
import { detectMpiLauncher } from './mpi-launcher';
import { loadKoffi, type MpiLibraryHandle } from './mpi-library-handle';
import { MPICH_ABI } from './mpich-abi';
import { isOpenMpi, openMpiAbi } from './open-mpi-abi';

/** An initialised MPI world, as the process group uses it. */
export interface MpiSession {
  readonly functions: MpiFunctions;
  readonly abi: MpiAbi;
  /** The library's version line, e.g. `Open MPI v4.1.4, package: Debian OpenMPI`. */
  readonly version: string;
  /** The library file or name that was loaded. */
  readonly libraryPath: string;
  readonly rank: number;
  readonly worldSize: number;
  /** Rank and size within this machine (MPI_Comm_split_type(MPI_COMM_TYPE_SHARED)). */
  readonly localRank: number;
  readonly localWorldSize: number;
  /** Throws a `mpi-error` DistributedError naming the call when `code` is not MPI_SUCCESS. */
  check(code: number, call: string): void;
  /** MPI_Finalize (collective: every rank must call it); idempotent. */
  finalize(): void;
}

let current: Promise<MpiSession> | undefined;
let finalized = false;

function detectAbi(library: MpiLibraryHandle, version: string): MpiAbi {
  if (isOpenMpi(library)) return openMpiAbi(library);
  if (/MPICH|Intel|MVAPICH|CRAY/i.test(version)) return MPICH_ABI;
  throw new DistributedError({
    code: 'mpi-unavailable',
    message: `${library.path} (${version || 'no version string'}) is neither Open MPI nor an MPICH-ABI library; set MSN_MPI_LIBRARY to an Open MPI or MPICH libmpi`,
  });
}

async function start(libraryPath: string | undefined, env: Record<string, string | undefined>): Promise<MpiSession> {
  const koffi = await loadKoffi();
  const launcher = detectMpiLauncher(env);
  const library = findMpiLibrary(koffi, libraryPath, launcher?.family);
  const version = readLibraryVersion({ libraryVersion: library.func('int MPI_Get_library_version(void *, _Out_ int *)') as MpiFunctions['libraryVersion'] });
  const abi = detectAbi(library, version);
  const functions = bindMpiFunctions(library, abi);
  const out = (): OutInt => [0];
  let rank = -1;
  const check = (code: number, call: string) => {
    if (code === MPI_SUCCESS) return;
    const text = new Uint8Array(512);
    const length = out();
    functions.errorString(code, text, length);
    throw new DistributedError({
      code: 'mpi-error',
      message: `${call} failed on rank ${rank}: ${new TextDecoder().decode(text.subarray(0, length[0]))} (MPI error ${code}, ${version})`,
    });
  };
  const initialized = out();
  check(functions.initialized(initialized), 'MPI_Initialized');
  if (initialized[0] === 0) check(functions.initThread(MPI_THREAD_FUNNELED, out()), 'MPI_Init_thread');
  const rankOut = out();
  const sizeOut = out();
  check(functions.commRank(abi.commWorld, rankOut), 'MPI_Comm_rank');
  check(functions.commSize(abi.commWorld, sizeOut), 'MPI_Comm_size');
  rank = rankOut[0];
  const worldSize = sizeOut[0];
  if (launcher?.worldSize !== undefined && launcher.worldSize !== worldSize) {
    // A library of another implementation than the launcher's starts as a world of one in every process.
    functions.finalize();
    throw new DistributedError({
      code: 'mpi-unavailable',
      message:
        `the launcher started ${launcher.worldSize} processes but ${library.path} (${version}) sees a world of ${worldSize}: ` +
        "the library is not the launcher's implementation; set MSN_MPI_LIBRARY to the libmpi of the mpirun you use (e.g. mpirun.mpich with /usr/lib/x86_64-linux-gnu/libmpich.so.12)",
    });
  }
  const local: [bigint | number] = [0];
  check(functions.commSplitType(abi.commWorld, abi.commTypeShared, rank, abi.infoNull, local), 'MPI_Comm_split_type');
  const localRank = out();
  const localSize = out();
  check(functions.commRank(local[0], localRank), 'MPI_Comm_rank');
  check(functions.commSize(local[0], localSize), 'MPI_Comm_size');

  const finalize = () => {
    if (finalized) return;
    finalized = true;
    functions.finalize();
  };
  // A clean exit without destroy() still finalises. A failing rank exits without MPI_Finalize (which would wait for
  // the others): the launcher sees the non-zero exit, names the rank and stops the job (MPI_Abort here would also end
  // it, but kills the process before Node has written the error to stderr).
  process.once('exit', (code) => {
    if (code === 0) finalize();
  });
  return { functions, abi, version, libraryPath: library.path, rank, worldSize, localRank: localRank[0], localWorldSize: localSize[0], check, finalize };
}

/**
 * Initialises MPI once per process (later calls share it).
 * @throws {DistributedError} `mpi-unavailable` (koffi or libmpi missing, mismatched library), `destroyed` (after MPI_Finalize).
 */
export function startMpiSession(libraryPath: string | undefined, env: Record<string, string | undefined>): Promise<MpiSession> {
  if (finalized) {
    return Promise.reject(
      new DistributedError({ code: 'destroyed', message: 'initProcessGroup: MPI was finalised by destroy() and cannot start again in this process' }),
    );
  }
  current ??= start(libraryPath, env);
  current.catch(() => (current = undefined));
  return current;
}
