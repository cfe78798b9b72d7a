// Tells from the environment whether this process was started by an MPI launcher, and refuses torchrun-style starts.
import { DistributedError } from './distributed-error';

type Environment = Record<string, string | undefined>;

/** Which launcher family started the process (it decides which library to try first). */
export type MpiLauncherFamily = 'openmpi' | 'pmi' | 'pmix';

/** What the launcher's variables say; MPI itself gives the authoritative rank and size after `MPI_Init`. */
export interface MpiLauncher {
  family: MpiLauncherFamily;
  /** World size the launcher announced, when it says (checked against MPI's, to catch a mismatched library). */
  worldSize: number | undefined;
}

function count(env: Environment, name: string): number | undefined {
  const value = Number(env[name]);
  return env[name] !== undefined && Number.isInteger(value) && value > 0 ? value : undefined;
}

/**
 * The MPI launcher this process runs under, or undefined when none: Open MPI's `mpirun` (`OMPI_COMM_WORLD_SIZE`),
 * MPICH's Hydra, Intel MPI or Slurm's `--mpi=pmi2` (`PMI_RANK`/`PMI_SIZE`), PMIx (`srun --mpi=pmix`, `PMIX_RANK`).
 */
export function detectMpiLauncher(env: Environment): MpiLauncher | undefined {
  if (env.OMPI_COMM_WORLD_SIZE !== undefined) return { family: 'openmpi', worldSize: count(env, 'OMPI_COMM_WORLD_SIZE') };
  if (env.PMI_RANK !== undefined || env.PMI_SIZE !== undefined) return { family: 'pmi', worldSize: count(env, 'PMI_SIZE') };
  if (env.PMIX_RANK !== undefined) return { family: 'pmix', worldSize: count(env, 'SLURM_STEP_NUM_TASKS') ?? count(env, 'SLURM_NTASKS') };
  return undefined;
}

/**
 * Throws when the environment asks for several processes without an MPI launcher (torchrun's WORLD_SIZE/RANK, or
 * `srun` without `--mpi`): each process would otherwise train alone, silently.
 * @throws {DistributedError} `not-under-launcher`
 */
export function refuseLauncherlessWorld(env: Environment): void {
  const torchrun = (count(env, 'WORLD_SIZE') ?? 1) > 1 || (env.RANK !== undefined && env.RANK !== '0');
  const srun = env.SLURM_PROCID !== undefined && (count(env, 'SLURM_STEP_NUM_TASKS') ?? 1) > 1;
  if (!torchrun && !srun) return;
  const found = torchrun
    ? `WORLD_SIZE=${env.WORLD_SIZE ?? '(unset)'} RANK=${env.RANK ?? '(unset)'}`
    : `SLURM_STEP_NUM_TASKS=${env.SLURM_STEP_NUM_TASKS} without PMI`;
  throw new DistributedError({
    code: 'not-under-launcher',
    message:
      `this process was started for a world of several processes (${found}) but not by an MPI launcher: ` +
      'start every rank with mpirun -np N node … (or mpiexec), srun --mpi=pmix … on Slurm, or an MPIJob on Kubernetes; ' +
      'torchrun-style launchers that only set WORLD_SIZE and RANK are not supported',
  });
}
