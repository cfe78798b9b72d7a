// The MPI functions the process group calls, bound through koffi with the ABI's handle type.
import type { MpiAbi } from './mpi-abi';
import type { MpiLibraryHandle } from './mpi-library-handle';

type Handle = bigint | number;
/** An `int` out-parameter, as koffi fills it: a one-element array. */
export type OutInt = [number];

/** The C functions, one JS callable each; every one returns the MPI error code. */
export interface MpiFunctions {
  initThread(required: number, provided: OutInt): number;
  initialized(flag: OutInt): number;
  finalized(flag: OutInt): number;
  commRank(comm: Handle, rank: OutInt): number;
  commSize(comm: Handle, size: OutInt): number;
  commSplitType(comm: Handle, splitType: number, key: number, info: Handle, result: [Handle]): number;
  /** In place only: `sendBuffer` is MPI_IN_PLACE. */
  allReduce(sendBuffer: number, buffer: ArrayBufferView, count: number, datatype: Handle, op: Handle, comm: Handle): number;
  broadcast(buffer: ArrayBufferView, count: number, datatype: Handle, root: number, comm: Handle): number;
  /** In place only: `sendBuffer` is MPI_IN_PLACE (send count and type are ignored). */
  allGather(sendBuffer: number, sendCount: number, sendType: Handle, buffer: ArrayBufferView, count: number, datatype: Handle, comm: Handle): number;
  barrier(comm: Handle): number;
  abort(comm: Handle, code: number): number;
  finalize(): number;
  errorString(code: number, text: Uint8Array, length: OutInt): number;
  libraryVersion(text: Uint8Array, length: OutInt): number;
}

/** Binds every function of {@link MpiFunctions}; `H` is the ABI's handle type in the prototypes. */
export function bindMpiFunctions(library: MpiLibraryHandle, abi: MpiAbi): MpiFunctions {
  const H = abi.handleType;
  const bind = <F>(prototype: string) => library.func(prototype) as unknown as F;
  const initThread = bind<(argc: null, argv: null, required: number, provided: OutInt) => number>('int MPI_Init_thread(void *, void *, int, _Out_ int *)');
  return {
    initThread: (required, provided) => initThread(null, null, required, provided), // no argc/argv: Node has its own
    initialized: bind('int MPI_Initialized(_Out_ int *)'),
    finalized: bind('int MPI_Finalized(_Out_ int *)'),
    commRank: bind(`int MPI_Comm_rank(${H}, _Out_ int *)`),
    commSize: bind(`int MPI_Comm_size(${H}, _Out_ int *)`),
    commSplitType: bind(`int MPI_Comm_split_type(${H}, int, int, ${H}, _Out_ ${H} *)`),
    allReduce: bind(`int MPI_Allreduce(intptr_t, void *, int, ${H}, ${H}, ${H})`),
    broadcast: bind(`int MPI_Bcast(void *, int, ${H}, int, ${H})`),
    allGather: bind(`int MPI_Allgather(intptr_t, int, ${H}, void *, int, ${H}, ${H})`),
    barrier: bind(`int MPI_Barrier(${H})`),
    abort: bind(`int MPI_Abort(${H}, int)`),
    finalize: bind('int MPI_Finalize()'),
    // Text buffers are plain void *: koffi passes the array's own memory (as _Out_ it would copy one element back).
    errorString: bind('int MPI_Error_string(int, void *, _Out_ int *)'),
    libraryVersion: bind('int MPI_Get_library_version(void *, _Out_ int *)'),
  };
}

/** The library's version line (`Open MPI v4.1.4, …`, `MPICH Version: 4.0.2`); callable before MPI_Init. */
export function readLibraryVersion(functions: Pick<MpiFunctions, 'libraryVersion'>): string {
  const text = new Uint8Array(8192); // MPICH's MPI_MAX_LIBRARY_VERSION_STRING, the larger of the two
  const length: OutInt = [0];
  functions.libraryVersion(text, length);
  return new TextDecoder().decode(text.subarray(0, length[0])).replace(/\0.*$/s, '').split('\n')[0]!.trim(); // Open MPI counts the NUL
}
