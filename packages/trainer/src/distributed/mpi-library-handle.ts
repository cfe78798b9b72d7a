// The MPI shared library opened through koffi, which is loaded on demand: only DDP needs it.
import { DistributedError } from './distributed-error';

/** The part of koffi's API the binding uses. */
export interface Koffi {
  load(path: string): KoffiLibrary;
  address(value: unknown): bigint;
}

interface KoffiLibrary {
  func(prototype: string): (...args: unknown[]) => unknown;
  symbol(name: string): unknown;
}

/** An opened MPI library: its functions by C prototype and the addresses of its exported globals. */
export interface MpiLibraryHandle {
  /** The name or path it was opened by. */
  readonly path: string;
  /** A callable for a C prototype, e.g. `int MPI_Barrier(int)`. */
  func(prototype: string): (...args: unknown[]) => number;
  /** Address of an exported global, or undefined when the library does not export it. */
  addressOf(symbol: string): bigint | undefined;
}

export const INSTALL_ADVICE =
  'install an MPI implementation (Debian/Ubuntu: apt-get install openmpi-bin libopenmpi-dev; macOS: brew install open-mpi; ' +
  "a cluster: module load openmpi or your site's MPI) or set MSN_MPI_LIBRARY to the path of its libmpi shared library";

/** Loads koffi (an optional peer dependency of @msn/trainer) with an error that says how to get it. */
export async function loadKoffi(): Promise<Koffi> {
  try {
    const module = (await import('koffi')) as { default?: Koffi } & Koffi;
    return module.default ?? module;
  } catch (error) {
    throw new DistributedError(
      {
        code: 'mpi-unavailable',
        message:
          'data-parallel training calls MPI through the koffi package, which is not installed: npm install koffi ' +
          `(an optional peer dependency of @msn/trainer; single-process training does not need it) (${(error as Error).message})`,
      },
      { cause: error },
    );
  }
}

/** Opens `path` with koffi; throws the loader's error (the caller tries the next candidate). */
export function openMpiLibrary(koffi: Koffi, path: string): MpiLibraryHandle {
  const library = koffi.load(path);
  return {
    path,
    func: (prototype) => library.func(prototype) as (...args: unknown[]) => number,
    addressOf: (symbol) => {
      try {
        return koffi.address(library.symbol(symbol));
      } catch {
        return undefined; // "Cannot find symbol": not this implementation
      }
    },
  };
}
