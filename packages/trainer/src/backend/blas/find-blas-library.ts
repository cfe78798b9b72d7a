// @file Where a native BLAS is looked for: MSN_BLAS_LIBRARY, else the usual file names of each platform, in order.
import { availableParallelism } from 'node:os';
import { loadBlasLibrary, type BlasLibrary } from './blas-library';

/** Libraries tried when none is named: optimised CBLAS builds first, the system's generic `libblas` last. */
export const BLAS_CANDIDATES: Readonly<Record<string, readonly string[]>> = {
  linux: [
    'libopenblas.so.0', // Debian/Ubuntu libopenblas0-pthread (through the alternatives), Fedora openblas
    'libopenblas.so',
    'libblis.so.4',
    'libmkl_rt.so.2',
    'libblas.so.3', // whatever the alternatives point at (OpenBLAS and BLIS export cblas_sgemm there)
  ],
  darwin: [
    '/System/Library/Frameworks/Accelerate.framework/Accelerate',
    '/opt/homebrew/opt/openblas/lib/libopenblas.dylib',
    '/usr/local/opt/openblas/lib/libopenblas.dylib',
  ],
  win32: ['libopenblas.dll', 'mkl_rt.2.dll'],
};

/** Options of {@link findBlasLibrary}. */
export interface FindBlasLibraryOptions {
  /**
   * A library to load (path or file name), `none` for no BLAS, or `auto` to try {@link BLAS_CANDIDATES}.
   * @default process.env.MSN_BLAS_LIBRARY, else `auto`
   */
  library?: string;
  /**
   * Threads of the BLAS products.
   * @default process.env.MSN_BLAS_THREADS, else the cores (os.availableParallelism()) shared among the processes of a
   *   job on this machine (process.env.LOCAL_WORLD_SIZE, set by msn-run and torchrun), at least 1
   */
  threads?: number;
  /** Libraries the automatic search tries, in order. @default BLAS_CANDIDATES of this platform */
  candidates?: readonly string[];
}

// Every core, divided among the job's processes on this machine (DDP ranks would otherwise oversubscribe the cores).
function defaultThreads(): number {
  const localProcesses = Number(process.env.LOCAL_WORLD_SIZE) || 1;
  return Math.max(1, Math.floor(availableParallelism() / localProcesses));
}

/** A BLAS found, or why none is used. */
export type BlasSearch = { library: BlasLibrary } | { library: null; reason: string };

/**
 * Finds and loads a native BLAS. A library named explicitly (option or `MSN_BLAS_LIBRARY`) must load; the automatic
 * search returns `{ library: null, reason }` when koffi or every candidate is missing, so training falls back to
 * the pure WebAssembly kernels.
 *
 * @example const search = await findBlasLibrary(); // { library: { name: 'OpenBLAS 0.3.21', threads: 2, … } }
 * @throws {BackendUnavailableError} when the named library cannot be loaded (the message names the path).
 */
export async function findBlasLibrary(options: FindBlasLibraryOptions = {}): Promise<BlasSearch> {
  const requested = options.library ?? (process.env.MSN_BLAS_LIBRARY || 'auto');
  const threads = options.threads ?? (Number(process.env.MSN_BLAS_THREADS) || defaultThreads());
  if (requested === 'none') return { library: null, reason: 'BLAS disabled' };
  if (requested !== 'auto') return { library: await loadBlasLibrary(requested, threads) };
  const failures: string[] = [];
  for (const candidate of options.candidates ?? BLAS_CANDIDATES[process.platform] ?? []) {
    try {
      return { library: await loadBlasLibrary(candidate, threads) };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      // Without koffi no candidate can load: say so once.
      if (message.includes('koffi is not installed')) return { library: null, reason: 'no BLAS found: koffi is not installed' };
      failures.push(candidate);
    }
  }
  return { library: null, reason: `no BLAS found (tried ${failures.join(', ') || `nothing on ${process.platform}`})` };
}
