// Reads rank, world size and rendezvous address from the variables launchers and schedulers set.
import { InvalidArgumentError } from '../errors';

/** Which launcher's variables described the job. */
export type EnvironmentSource = 'torchrun' | 'slurm' | 'openmpi' | 'single';

/** Where this process sits in the job, and where rank 0 listens for the rendezvous. */
export interface DistributedEnvironment {
  rank: number;
  worldSize: number;
  localRank: number;
  /** Processes of the job on this machine, when the launcher says. */
  localWorldSize: number | undefined;
  masterAddr: string;
  masterPort: number;
  source: EnvironmentSource;
}

/** torchrun's default rendezvous port. */
export const DEFAULT_MASTER_PORT = 29500;

type Environment = Record<string, string | undefined>;

const CALLER = 'resolveDistributedEnvironment';

function integer(env: Environment, name: string, minimum: number): number | undefined {
  const text = env[name];
  if (text === undefined || text.trim() === '') return undefined;
  const value = Number(text.trim());
  if (!Number.isInteger(value) || value < minimum) {
    throw new InvalidArgumentError({ caller: CALLER, argument: name, value: text, expected: `an integer >= ${minimum}` });
  }
  return value;
}

function port(env: Environment, name: string): number | undefined {
  const value = integer(env, name, 1);
  if (value !== undefined && value > 65_535) {
    throw new InvalidArgumentError({ caller: CALLER, argument: name, value: env[name], expected: 'a TCP port in 1…65535' });
  }
  return value;
}

/**
 * First host of a Slurm node list: `node[07-10,12],gpu3` → `node07`, `a1,b2` → `a1`, `c[1-2]-ib` → `c1-ib`.
 * Rank 0 of a Slurm step runs on the first node of its list (block distribution, the default).
 */
export function firstSlurmHost(nodeList: string): string {
  const text = nodeList.trim();
  let end = 0;
  let depth = 0;
  while (end < text.length && !(text[end] === ',' && depth === 0)) {
    if (text[end] === '[') depth += 1;
    if (text[end] === ']') depth -= 1;
    end += 1;
  }
  const first = text.slice(0, end);
  // Expand only the first bracket group's first value; a suffix after it stays.
  return first.replace(/\[([^\]]*)\]/, (_, ranges: string) => ranges.split(',')[0]!.split('-')[0]!);
}

/**
 * Resolves this process's place in a distributed job from environment variables, first match wins:
 *
 * - torchrun / Kubernetes training operators: `RANK`, `WORLD_SIZE`, `LOCAL_RANK` (default 0),
 *   `LOCAL_WORLD_SIZE`, `MASTER_ADDR`, `MASTER_PORT`;
 * - Slurm (`srun`): `SLURM_PROCID`, `SLURM_NTASKS`, `SLURM_LOCALID`, `SLURM_NTASKS_PER_NODE`; rank 0's address is
 *   `MASTER_ADDR`, else the first host of `SLURM_STEP_NODELIST` / `SLURM_JOB_NODELIST` / `SLURM_NODELIST`, else
 *   `SLURM_LAUNCH_NODE_IPADDR`; the port is `MASTER_PORT`, else 15000 + the job id mod 10000 (every task of
 *   the job computes the same);
 * - Open MPI (`mpirun`): `OMPI_COMM_WORLD_RANK`, `_SIZE`, `_LOCAL_RANK`, `_LOCAL_SIZE`; `MASTER_ADDR` (defaults
 *   to 127.0.0.1 when every rank is local), `MASTER_PORT`;
 * - otherwise a single process (rank 0 of 1).
 *
 * `MASTER_PORT` defaults to 29500 (torchrun's default). `MASTER_ADDR` defaults to 127.0.0.1 only when all ranks
 * are known to be local.
 *
 * @example
 * const { rank, worldSize } = resolveDistributedEnvironment(); // under `msn-run --nproc-per-node 2 …`
 * @throws {InvalidArgumentError} naming the variable when a value is not an integer, a rank is outside the
 * world, or a multi-machine job lacks `MASTER_ADDR`.
 */
export function resolveDistributedEnvironment(env: Environment = process.env): DistributedEnvironment {
  let resolved: Omit<DistributedEnvironment, 'masterAddr' | 'masterPort'> & {
    masterAddr: string | undefined;
    masterPort: number | undefined;
  };
  let rankName: string;
  if (env.RANK !== undefined && env.WORLD_SIZE !== undefined) {
    rankName = 'RANK';
    resolved = {
      source: 'torchrun',
      rank: integer(env, 'RANK', 0)!,
      worldSize: integer(env, 'WORLD_SIZE', 1)!,
      localRank: integer(env, 'LOCAL_RANK', 0) ?? 0,
      localWorldSize: integer(env, 'LOCAL_WORLD_SIZE', 1),
      masterAddr: env.MASTER_ADDR,
      masterPort: port(env, 'MASTER_PORT'),
    };
  } else if (env.SLURM_PROCID !== undefined && env.SLURM_NTASKS !== undefined) {
    rankName = 'SLURM_PROCID';
    const nodeList = env.SLURM_STEP_NODELIST ?? env.SLURM_JOB_NODELIST ?? env.SLURM_NODELIST;
    const jobId = integer(env, 'SLURM_JOB_ID', 0) ?? integer(env, 'SLURM_JOBID', 0);
    const tasksPerNode = env.SLURM_NTASKS_PER_NODE === undefined ? undefined : Number.parseInt(env.SLURM_NTASKS_PER_NODE, 10);
    resolved = {
      source: 'slurm',
      rank: integer(env, 'SLURM_PROCID', 0)!,
      worldSize: integer(env, 'SLURM_NTASKS', 1)!,
      localRank: integer(env, 'SLURM_LOCALID', 0) ?? 0,
      localWorldSize: Number.isInteger(tasksPerNode) && tasksPerNode! > 0 ? tasksPerNode : undefined,
      masterAddr: env.MASTER_ADDR ?? (nodeList ? firstSlurmHost(nodeList) : env.SLURM_LAUNCH_NODE_IPADDR),
      masterPort: port(env, 'MASTER_PORT') ?? (jobId === undefined ? undefined : 15_000 + (jobId % 10_000)),
    };
  } else if (env.OMPI_COMM_WORLD_RANK !== undefined && env.OMPI_COMM_WORLD_SIZE !== undefined) {
    rankName = 'OMPI_COMM_WORLD_RANK';
    resolved = {
      source: 'openmpi',
      rank: integer(env, 'OMPI_COMM_WORLD_RANK', 0)!,
      worldSize: integer(env, 'OMPI_COMM_WORLD_SIZE', 1)!,
      localRank: integer(env, 'OMPI_COMM_WORLD_LOCAL_RANK', 0) ?? 0,
      localWorldSize: integer(env, 'OMPI_COMM_WORLD_LOCAL_SIZE', 1),
      masterAddr: env.MASTER_ADDR,
      masterPort: port(env, 'MASTER_PORT'),
    };
  } else {
    return {
      source: 'single',
      rank: 0,
      worldSize: 1,
      localRank: 0,
      localWorldSize: 1,
      masterAddr: env.MASTER_ADDR ?? '127.0.0.1',
      masterPort: port(env, 'MASTER_PORT') ?? DEFAULT_MASTER_PORT,
    };
  }
  if (resolved.rank >= resolved.worldSize) {
    throw new InvalidArgumentError({
      caller: CALLER,
      argument: rankName,
      value: resolved.rank,
      expected: `a rank below the world size ${resolved.worldSize}`,
    });
  }
  let masterAddr = resolved.masterAddr?.trim();
  if (!masterAddr) {
    if (resolved.worldSize > 1 && resolved.localWorldSize !== resolved.worldSize) {
      throw new InvalidArgumentError({
        caller: CALLER,
        argument: 'MASTER_ADDR',
        value: resolved.masterAddr,
        expected: `the address of rank 0's machine (the job has ${resolved.worldSize} ranks and they are not all on this machine)`,
      });
    }
    masterAddr = '127.0.0.1';
  }
  return { ...resolved, masterAddr, masterPort: resolved.masterPort ?? DEFAULT_MASTER_PORT };
}
