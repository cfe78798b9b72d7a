// @file One native BLAS opened through koffi: its row-major cblas_sgemm, its name and its thread count.
import { BackendUnavailableError } from '@msn/errors';

// koffi is an optional peer dependency, imported only here and only when a BLAS is wanted; its types stay out of the
// package's public declarations.
type Koffi = typeof import('koffi');
type KoffiLibrary = ReturnType<Koffi['load']>;

/** A loaded BLAS. Matrices are row-major float32 views, used in place (koffi passes a typed array's own memory). */
export interface BlasLibrary {
  /** What the library says it is, e.g. `OpenBLAS 0.3.21`, or `BLAS` when it does not say. */
  name: string;
  /** The path or file name it was loaded from. */
  path: string;
  /** Threads its products use. */
  threads: number;
  /** C ← alpha·op(A)·op(B) + beta·C, with op(X) = Xᵀ when transposed (cblas_sgemm, row-major). */
  sgemm(
    transposeA: boolean,
    transposeB: boolean,
    m: number,
    n: number,
    k: number,
    alpha: number,
    a: Float32Array,
    lda: number,
    b: Float32Array,
    ldb: number,
    beta: number,
    c: Float32Array,
    ldc: number,
  ): void;
}

// CBLAS enum values (cblas.h).
const ROW_MAJOR = 101;
const NO_TRANS = 111;
const TRANS = 112;

const SGEMM =
  'void cblas_sgemm(int order, int transA, int transB, int m, int n, int k, float alpha, float *a, int lda, float *b, int ldb, float beta, float *c, int ldc)';

let koffiModule: Promise<Koffi> | undefined;

/** koffi, imported once; throws BackendUnavailableError when it is not installed. */
export function importKoffi(): Promise<Koffi> {
  koffiModule ??= import('koffi').then(
    (module) => ((module as unknown as { default?: Koffi }).default ?? module) as Koffi,
    (error: unknown) => {
      koffiModule = undefined;
      throw new BackendUnavailableError(
        'loadBlasLibrary: the optional peer dependency koffi is not installed (npm install koffi), so no native BLAS can be used',
        { cause: error },
      );
    },
  );
  return koffiModule;
}

// The optional function `name` of the library, or undefined when it does not export it.
function optional(library: KoffiLibrary, definition: string): ((...args: unknown[]) => unknown) | undefined {
  try {
    return library.func(definition) as (...args: unknown[]) => unknown;
  } catch {
    return undefined;
  }
}

// Each vendor's thread setter and version string (OpenBLAS, BLIS, MKL); Accelerate has neither and sizes itself.
function identify(library: KoffiLibrary): { name: string; setThreads?: (threads: number) => void; getThreads?: () => number } {
  const openblasConfig = optional(library, 'const char *openblas_get_config()');
  if (openblasConfig !== undefined) {
    const setThreads = optional(library, 'void openblas_set_num_threads(int)');
    const getThreads = optional(library, 'int openblas_get_num_threads()');
    const version = /OpenBLAS [\d.]+/.exec(String(openblasConfig()))?.[0] ?? 'OpenBLAS';
    return {
      name: version,
      ...(setThreads && { setThreads: (threads: number) => void setThreads(threads) }),
      ...(getThreads && { getThreads: () => Number(getThreads()) }),
    };
  }
  const blisVersion = optional(library, 'const char *bli_info_get_version_str()');
  if (blisVersion !== undefined) {
    const setThreads = optional(library, 'void bli_thread_set_num_threads(int64_t)');
    return { name: `BLIS ${String(blisVersion())}`, ...(setThreads && { setThreads: (threads: number) => void setThreads(threads) }) };
  }
  const mklSetThreads = optional(library, 'void MKL_Set_Num_Threads(int)');
  if (mklSetThreads !== undefined) {
    const getThreads = optional(library, 'int MKL_Get_Max_Threads()');
    return { name: 'MKL', setThreads: (threads: number) => void mklSetThreads(threads), ...(getThreads && { getThreads: () => Number(getThreads()) }) };
  }
  return { name: 'BLAS' };
}

/**
 * Opens the BLAS at `path` (a path or a name the system loader resolves, e.g. `libopenblas.so.0`), binds its
 * `cblas_sgemm` and sets its threads to `threads` where the vendor allows it.
 *
 * @throws {BackendUnavailableError} naming `path` when koffi is missing, the file cannot be loaded, or it has no
 *   `cblas_sgemm`.
 */
export async function loadBlasLibrary(path: string, threads: number): Promise<BlasLibrary> {
  const koffi = await importKoffi();
  let library: KoffiLibrary;
  try {
    library = koffi.load(path);
  } catch (error) {
    throw new BackendUnavailableError(`loadBlasLibrary: cannot load the BLAS library '${path}': ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }
  let sgemm: (...args: unknown[]) => unknown;
  try {
    sgemm = library.func(SGEMM) as (...args: unknown[]) => unknown;
  } catch (error) {
    library.unload();
    throw new BackendUnavailableError(`loadBlasLibrary: '${path}' has no cblas_sgemm; expected a CBLAS library (OpenBLAS, BLIS, MKL, Accelerate)`, {
      cause: error,
    });
  }
  const vendor = identify(library);
  vendor.setThreads?.(threads);
  return {
    name: vendor.name,
    path,
    threads: vendor.getThreads?.() ?? (vendor.setThreads === undefined ? 0 : threads),
    sgemm: (transposeA, transposeB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc) =>
      void sgemm(ROW_MAJOR, transposeA ? TRANS : NO_TRANS, transposeB ? TRANS : NO_TRANS, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc),
  };
}
