// Entry point of distributed training: an MPI process group under an MPI launcher, a world of one otherwise.
import { InvalidArgumentError } from '@msn/errors';
import { detectMpiLauncher, refuseLauncherlessWorld } from './mpi-launcher';
import { MpiProcessGroup } from './mpi-process-group';
import { startMpiSession } from './mpi-session';
import type { ProcessGroup } from './process-group';
import { SingleProcessGroup } from './single-process-group';

/** Options of {@link initProcessGroup}. */
export interface InitProcessGroupOptions {
  /**
   * Path or name of the MPI shared library (used under an MPI launcher only).
   * @default env.MSN_MPI_LIBRARY, else the usual names of Open MPI's (libmpi.so.40) and MPICH's (libmpi.so.12, libmpich.so.12) libraries
   */
  mpiLibrary?: string;
  /** Where the launcher's variables are read. @default process.env */
  env?: Record<string, string | undefined>;
}

/**
 * Joins the job's process group. Under an MPI launcher (`mpirun -np N node train.js`, `mpiexec`, `srun --mpi=pmix`,
 * a Kubeflow MPIJob) it initialises MPI through koffi and returns a group whose collectives are MPI calls; without
 * one it returns a world of one whose collectives are copies, with no MPI, koffi or threads.
 *
 * @example
 * const group = await initProcessGroup();            // mpirun -np 2 node train.js
 * const total = group.allReduce(tf.scalar(group.rank + 1)); // 1 + 2 + … + worldSize on every rank
 * group.destroy();                                    // MPI_Finalize (every rank)
 * @throws {InvalidArgumentError} for a bad option.
 * @throws {DistributedError} `mpi-unavailable` (koffi or the MPI library missing: the message says what to install),
 * `not-under-launcher` (WORLD_SIZE/RANK set, or srun without --mpi, but no MPI launcher).
 */
export async function initProcessGroup(options: InitProcessGroupOptions = {}): Promise<ProcessGroup> {
  const env = options.env === undefined ? process.env : options.env;
  if (typeof env !== 'object' || env === null) {
    throw new InvalidArgumentError({ caller: 'initProcessGroup', argument: 'env', value: env, expected: 'an object of environment variables' });
  }
  const library = options.mpiLibrary ?? env.MSN_MPI_LIBRARY;
  if (library !== undefined && (typeof library !== 'string' || library.trim() === '')) {
    throw new InvalidArgumentError({
      caller: 'initProcessGroup',
      argument: options.mpiLibrary === undefined ? 'MSN_MPI_LIBRARY' : 'mpiLibrary',
      value: library,
      expected: 'the path or name of an MPI shared library',
    });
  }
  if (detectMpiLauncher(env) === undefined) {
    refuseLauncherlessWorld(env);
    return new SingleProcessGroup();
  }
  return new MpiProcessGroup(await startMpiSession(library?.trim(), env));
}
