// @file The wasm backend's products put on a native BLAS when one is found, and the words that say which path runs.
import { installBlasKernels, uninstallBlasKernels } from './blas-kernels';
import { findBlasLibrary, type FindBlasLibraryOptions } from './find-blas-library';

/** The BLAS the wasm backend's products use, as reported in the backend line. */
export interface BlasChoice {
  /** e.g. `OpenBLAS 0.3.21` */
  name: string;
  /** The file it was loaded from, e.g. `libopenblas.so.0`. */
  path: string;
  /** Threads of its products (0: the library's own choice). */
  threads: number;
}

/** What {@link enableBlas} did: the BLAS in use, or null and why (e.g. `no BLAS found (tried …)`). */
export type BlasOutcome = { blas: BlasChoice; summary: string } | { blas: null; summary: string };

/**
 * Finds a BLAS ({@link findBlasLibrary}) and runs the wasm backend's BatchMatMul and _FusedMatMul on it; without one,
 * the stock kernels stay (or are restored). `summary` is the phrase for the backend line, e.g.
 * `BLAS OpenBLAS 0.3.21 on 2 threads (libopenblas.so.0)` or `no BLAS found`.
 *
 * @throws {BackendUnavailableError} when a library named explicitly cannot be loaded.
 */
export async function enableBlas(options: FindBlasLibraryOptions = {}): Promise<BlasOutcome> {
  const search = await findBlasLibrary(options);
  if (search.library === null) {
    uninstallBlasKernels();
    return { blas: null, summary: search.reason.startsWith('no BLAS found') ? 'no BLAS found' : search.reason };
  }
  installBlasKernels(search.library);
  const { name, path, threads } = search.library;
  const threadWords = threads > 0 ? `${threads} thread${threads === 1 ? '' : 's'}` : 'its default threads';
  return { blas: { name, path, threads }, summary: `BLAS ${name} on ${threadWords} (${path})` };
}
