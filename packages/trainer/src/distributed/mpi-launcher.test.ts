// How initProcessGroup tells an MPI launch from a single process, and its errors when MPI cannot be used.
import { describe, expect, it } from 'vitest';
import { DistributedError } from './distributed-error';
import { findMpiLibrary, mpiLibraryCandidates } from './find-mpi-library';
import { initProcessGroup } from './init-process-group';
import { detectMpiLauncher, refuseLauncherlessWorld } from './mpi-launcher';
import type { Koffi } from './mpi-library-handle';

describe('detectMpiLauncher', () => {
  it("recognises Open MPI's mpirun, PMI (MPICH's Hydra, Intel MPI, srun --mpi=pmi2) and PMIx (srun --mpi=pmix)", () => {
    expect(detectMpiLauncher({ OMPI_COMM_WORLD_SIZE: '4', OMPI_COMM_WORLD_RANK: '1' })).toEqual({ family: 'openmpi', worldSize: 4 });
    expect(detectMpiLauncher({ PMI_RANK: '0', PMI_SIZE: '3' })).toEqual({ family: 'pmi', worldSize: 3 });
    expect(detectMpiLauncher({ PMIX_RANK: '2', SLURM_STEP_NUM_TASKS: '8', SLURM_PROCID: '2' })).toEqual({ family: 'pmix', worldSize: 8 });
    expect(detectMpiLauncher({ WORLD_SIZE: '2', RANK: '0' })).toBeUndefined();
    expect(detectMpiLauncher({})).toBeUndefined();
  });
});

describe('refuseLauncherlessWorld', () => {
  it('accepts a plain process and a world of one, refuses torchrun-style and srun-without-PMI starts, saying how to launch', () => {
    expect(() => refuseLauncherlessWorld({})).not.toThrow();
    expect(() => refuseLauncherlessWorld({ WORLD_SIZE: '1', RANK: '0' })).not.toThrow();
    expect(() => refuseLauncherlessWorld({ SLURM_PROCID: '0', SLURM_STEP_NUM_TASKS: '1' })).not.toThrow();
    expect(() => refuseLauncherlessWorld({ WORLD_SIZE: '2', RANK: '0' })).toThrow(
      /\(WORLD_SIZE=2 RANK=0\) but not by an MPI launcher: start every rank with mpirun -np N node … \(or mpiexec\), srun --mpi=pmix/,
    );
    expect(() => refuseLauncherlessWorld({ SLURM_PROCID: '3', SLURM_STEP_NUM_TASKS: '4' })).toThrow(/SLURM_STEP_NUM_TASKS=4 without PMI/);
    try {
      refuseLauncherlessWorld({ RANK: '1' });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(DistributedError);
      expect((error as DistributedError).code).toBe('not-under-launcher');
    }
  });
});

describe('findMpiLibrary', () => {
  const nothingLoads: Koffi = {
    load: (path) => {
      throw new Error(`${path}: cannot open shared object file: No such file or directory`);
    },
    address: () => 0n,
  };

  it("tries the launcher's own implementation first (mpirun.mpich must not load Open MPI)", () => {
    expect(mpiLibraryCandidates('openmpi')[0]).toBe('libmpi.so.40');
    expect(mpiLibraryCandidates('pmi')[0]).toBe('libmpi.so.12');
    expect(mpiLibraryCandidates('pmi')).toContain('libmpich.so.12');
    expect(mpiLibraryCandidates(undefined)).toEqual(expect.arrayContaining(['libmpi.so.40', 'libmpich.so.12', 'libmpi.so']));
  });

  it('without any library: one error naming what was tried, what to install and MSN_MPI_LIBRARY', () => {
    expect(() => findMpiLibrary(nothingLoads, undefined, 'openmpi')).toThrow(
      /no MPI library found \(tried libmpi\.so\.40: libmpi\.so\.40: cannot open shared object file.*\): install an MPI implementation \(Debian\/Ubuntu: apt-get install openmpi-bin libopenmpi-dev; macOS: brew install open-mpi; a cluster: module load openmpi.*\) or set MSN_MPI_LIBRARY/,
    );
    expect(() => findMpiLibrary(nothingLoads, '/opt/mpi/lib/libmpi.so', undefined)).toThrow(/MSN_MPI_LIBRARY=\/opt\/mpi\/lib\/libmpi\.so could not be loaded/);
  });
});

describe('initProcessGroup', () => {
  it('without launcher variables returns a world of one (no koffi, no MPI)', async () => {
    const group = await initProcessGroup({ env: { WORLD_SIZE: '1' } });
    expect([group.backend, group.rank, group.worldSize]).toEqual(['single', 0, 1]);
    group.destroy();
  });

  it('rejects WORLD_SIZE/RANK without an MPI launcher, a bad library path under one, and bad options', async () => {
    await expect(initProcessGroup({ env: { WORLD_SIZE: '2', RANK: '1' } })).rejects.toMatchObject({ name: 'DistributedError', code: 'not-under-launcher' });
    await expect(
      initProcessGroup({ env: { OMPI_COMM_WORLD_SIZE: '2', OMPI_COMM_WORLD_RANK: '0', MSN_MPI_LIBRARY: '/nonexistent/libmpi.so.40' } }),
    ).rejects.toMatchObject({
      code: 'mpi-unavailable',
      message: expect.stringMatching(/^MSN_MPI_LIBRARY=\/nonexistent\/libmpi\.so\.40 could not be loaded/),
    });
    await expect(initProcessGroup({ env: {}, mpiLibrary: ' ' })).rejects.toThrow(
      /initProcessGroup: invalid argument 'mpiLibrary' = " "; expected the path or name of an MPI shared library/,
    );
    await expect(initProcessGroup({ env: null as never })).rejects.toThrow(/invalid argument 'env' = null/);
  });
});
