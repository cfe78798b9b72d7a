// Entry point of distributed training: resolve the environment, rendezvous, return a ProcessGroup.
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { InvalidArgumentError } from '../errors';
import { resolveDistributedEnvironment } from './environment';
import { detectMpiLauncher } from './mpi-launcher';
import { MpiProcessGroup } from './mpi-process-group';
import { startMpiSession } from './mpi-session';
import type { ProcessGroup } from './process-group';
import type { BackendPreference } from './protocol';
import { SingleProcessGroup } from './single-process-group';
import { WorkerProcessGroup } from './worker-process-group';

/** Options of {@link initProcessGroup}; anything unset comes from the environment, then the defaults. */
export interface InitProcessGroupOptions {
  /**
   * Path or name of the MPI shared library (used under an MPI launcher).
   * @default process.env.MSN_MPI_LIBRARY, else the usual names of Open MPI's and MPICH's libraries
   */
  mpiLibrary?: string;
  /**
   * `shm` (processes on one machine exchange data through shared-memory files), `tcp` (pipelined ring over
   * TCP, any topology) or `auto` (shm when every rank is on this machine and can share a file, else tcp).
   * @default process.env.MSN_DIST_BACKEND ?? 'auto'
   */
  backend?: BackendPreference;
  /**
   * Longest time a collective waits for another rank without any progress before the group fails with a
   * `timeout` naming the rank that is behind. A rank that exits is detected at once, whatever this says.
   * Generous by default because other ranks may legitimately wait while rank 0 evaluates or saves.
   * @default process.env.MSN_DIST_TIMEOUT_MS ?? 600000
   */
  timeoutMs?: number;
  /**
   * Longest wait for every rank to join the rendezvous.
   * @default process.env.MSN_DIST_RENDEZVOUS_TIMEOUT_MS ?? 300000
   */
  rendezvousTimeoutMs?: number;
  /** This process's rank. @default from the environment ({@link resolveDistributedEnvironment}) */
  rank?: number;
  /** Number of processes. @default from the environment */
  worldSize?: number;
  /** Rank on this machine. @default from the environment */
  localRank?: number;
  /** Address of rank 0's machine. @default from the environment */
  masterAddr?: string;
  /** Port rank 0 listens on for the rendezvous. @default from the environment, else 29500 */
  masterPort?: number;
  /** Where the variables are read. @default process.env */
  env?: Record<string, string | undefined>;
  /**
   * TCP ring: bytes per pipelined piece (smaller pieces overlap the ring's steps more, larger ones cost
   * fewer events).
   * @default 262144
   */
  segmentBytes?: number;
  /**
   * Shared memory: bytes per rank per round; two files of worldSize × this many bytes live in `shmDirectory`.
   * @default 8388608
   */
  shmSlotBytes?: number;
  /** Directory of the shared-memory files. @default '/dev/shm' when it exists, else the temp directory */
  shmDirectory?: string;
}

const CALLER = 'initProcessGroup';

function positiveInteger(argument: string, value: unknown, maximum = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > maximum) {
    throw new InvalidArgumentError({ caller: CALLER, argument, value, expected: `an integer in 1…${maximum}` });
  }
  return value;
}

function fromEnvironment(env: Record<string, string | undefined>, name: string): number | undefined {
  const text = env[name];
  if (text === undefined || text === '') return undefined;
  return positiveInteger(name, Number(text));
}

/**
 * Joins the process group described by the options and the environment (torchrun, Slurm, Open MPI or
 * `msn-run` variables). With a world size of 1 it returns a {@link ProcessGroup} whose collectives are copies,
 * without threads or sockets; otherwise rank 0 listens on `masterAddr:masterPort`, every rank connects, and the
 * promise resolves once all `worldSize` ranks have joined.
 *
 * @example
 * const group = await initProcessGroup({ backend: 'auto', timeoutMs: 60_000 });
 * const total = group.allReduce(tf.scalar(group.rank + 1)); // 1 + 2 + … + worldSize on every rank
 * group.destroy();
 * @throws {InvalidArgumentError} for a bad option or environment variable.
 * @throws {DistributedError} `rendezvous-timeout` (ranks missing: named), `address-in-use` (MASTER_PORT busy),
 * `rendezvous-mismatch` (ranks disagree on WORLD_SIZE, duplicate ranks), `shared-memory` (backend 'shm' impossible).
 */
export async function initProcessGroup(options: InitProcessGroupOptions = {}): Promise<ProcessGroup> {
  const env = options.env ?? process.env;
  if (detectMpiLauncher(env) !== undefined) return new MpiProcessGroup(await startMpiSession(options.mpiLibrary ?? env.MSN_MPI_LIBRARY, env));
  const resolved = resolveDistributedEnvironment(env);
  const worldSize = positiveInteger('worldSize', options.worldSize ?? resolved.worldSize);
  const rank = options.rank ?? resolved.rank;
  if (typeof rank !== 'number' || !Number.isInteger(rank) || rank < 0 || rank >= worldSize) {
    throw new InvalidArgumentError({ caller: CALLER, argument: 'rank', value: rank, expected: `an integer in 0…${worldSize - 1}` });
  }
  const localRank = options.localRank ?? resolved.localRank;
  if (typeof localRank !== 'number' || !Number.isInteger(localRank) || localRank < 0) {
    throw new InvalidArgumentError({ caller: CALLER, argument: 'localRank', value: localRank, expected: 'an integer >= 0' });
  }
  const backend = options.backend ?? ((env.MSN_DIST_BACKEND as BackendPreference | undefined) || 'auto');
  if (backend !== 'auto' && backend !== 'shm' && backend !== 'tcp') {
    throw new InvalidArgumentError({
      caller: CALLER,
      argument: options.backend === undefined ? 'MSN_DIST_BACKEND' : 'backend',
      value: backend,
      expected: "'auto', 'shm' or 'tcp'",
    });
  }
  const timeoutMs = positiveInteger('timeoutMs', options.timeoutMs ?? fromEnvironment(env, 'MSN_DIST_TIMEOUT_MS') ?? 600_000);
  const rendezvousTimeoutMs = positiveInteger(
    'rendezvousTimeoutMs',
    options.rendezvousTimeoutMs ?? fromEnvironment(env, 'MSN_DIST_RENDEZVOUS_TIMEOUT_MS') ?? 300_000,
  );
  const masterAddr = options.masterAddr ?? resolved.masterAddr;
  if (typeof masterAddr !== 'string' || masterAddr.trim() === '') {
    throw new InvalidArgumentError({ caller: CALLER, argument: 'masterAddr', value: masterAddr, expected: 'a host name or IP address' });
  }
  const masterPort = positiveInteger('masterPort', options.masterPort ?? resolved.masterPort, 65_535);
  const segmentBytes = positiveInteger('segmentBytes', options.segmentBytes ?? 1 << 18);
  const shmSlotBytes = positiveInteger('shmSlotBytes', options.shmSlotBytes ?? 1 << 23);
  if (shmSlotBytes % 4 !== 0 || shmSlotBytes < 4 * worldSize) {
    throw new InvalidArgumentError({
      caller: CALLER,
      argument: 'shmSlotBytes',
      value: shmSlotBytes,
      expected: `a multiple of 4 of at least ${4 * worldSize} (one float per rank)`,
    });
  }
  const shmDirectory = options.shmDirectory ?? (existsSync('/dev/shm') ? '/dev/shm' : tmpdir());

  if (worldSize === 1) return new SingleProcessGroup();
  return WorkerProcessGroup.start({
    rank,
    worldSize,
    localRank,
    masterAddr: masterAddr.trim(),
    masterPort,
    backend,
    timeoutMs,
    rendezvousTimeoutMs,
    segmentBytes,
    shmSlotBytes,
    shmDirectory,
  });
}
