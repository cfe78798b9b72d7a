import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../errors';
import { firstSlurmHost, resolveDistributedEnvironment } from './environment';

describe('resolveDistributedEnvironment', () => {
  it('reads torchrun / Kubernetes variables', () => {
    expect(
      resolveDistributedEnvironment({
        RANK: '3',
        WORLD_SIZE: '8',
        LOCAL_RANK: '1',
        LOCAL_WORLD_SIZE: '2',
        MASTER_ADDR: 'trainer-0.svc',
        MASTER_PORT: '23456',
      }),
    ).toEqual({
      source: 'torchrun',
      rank: 3,
      worldSize: 8,
      localRank: 1,
      localWorldSize: 2,
      masterAddr: 'trainer-0.svc',
      masterPort: 23456,
    });
  });

  it('defaults LOCAL_RANK to 0 and MASTER_PORT to 29500 (one process per pod)', () => {
    const resolved = resolveDistributedEnvironment({ RANK: '1', WORLD_SIZE: '2', MASTER_ADDR: '10.0.0.1' });
    expect(resolved).toMatchObject({ localRank: 0, localWorldSize: undefined, masterPort: 29500 });
  });

  it('reads Slurm variables, taking rank 0 from the first host of the node list and the port from the job id', () => {
    expect(
      resolveDistributedEnvironment({
        SLURM_PROCID: '5',
        SLURM_NTASKS: '8',
        SLURM_LOCALID: '1',
        SLURM_NTASKS_PER_NODE: '4',
        SLURM_JOB_NODELIST: 'gpu[07-08,12],cpu1',
        SLURM_LAUNCH_NODE_IPADDR: '10.1.1.1',
        SLURM_JOB_ID: '123456',
      }),
    ).toEqual({
      source: 'slurm',
      rank: 5,
      worldSize: 8,
      localRank: 1,
      localWorldSize: 4,
      masterAddr: 'gpu07',
      masterPort: 15000 + (123456 % 10000),
    });
  });

  it('prefers MASTER_ADDR / MASTER_PORT under Slurm, and falls back to the launch node without a node list', () => {
    const base = { SLURM_PROCID: '0', SLURM_NTASKS: '2', SLURM_JOB_NODELIST: 'a1,b2' };
    expect(resolveDistributedEnvironment({ ...base, MASTER_ADDR: 'head', MASTER_PORT: '4000' })).toMatchObject({
      masterAddr: 'head',
      masterPort: 4000,
    });
    expect(
      resolveDistributedEnvironment({ SLURM_PROCID: '0', SLURM_NTASKS: '2', SLURM_LAUNCH_NODE_IPADDR: '10.1.1.1' }),
    ).toMatchObject({ masterAddr: '10.1.1.1', masterPort: 29500 });
  });

  it('reads Open MPI variables, with 127.0.0.1 when every rank is local', () => {
    expect(
      resolveDistributedEnvironment({
        OMPI_COMM_WORLD_RANK: '2',
        OMPI_COMM_WORLD_SIZE: '4',
        OMPI_COMM_WORLD_LOCAL_RANK: '2',
        OMPI_COMM_WORLD_LOCAL_SIZE: '4',
      }),
    ).toEqual({
      source: 'openmpi',
      rank: 2,
      worldSize: 4,
      localRank: 2,
      localWorldSize: 4,
      masterAddr: '127.0.0.1',
      masterPort: 29500,
    });
  });

  it('lets torchrun variables win over the scheduler that started torchrun', () => {
    const resolved = resolveDistributedEnvironment({ RANK: '1', WORLD_SIZE: '2', MASTER_ADDR: 'x', SLURM_PROCID: '0', SLURM_NTASKS: '1' });
    expect(resolved.source).toBe('torchrun');
    expect(resolved.rank).toBe(1);
  });

  it('is a single process without launcher variables', () => {
    expect(resolveDistributedEnvironment({})).toEqual({
      source: 'single',
      rank: 0,
      worldSize: 1,
      localRank: 0,
      localWorldSize: 1,
      masterAddr: '127.0.0.1',
      masterPort: 29500,
    });
  });

  it('names the variable that is wrong', () => {
    expect(() => resolveDistributedEnvironment({ RANK: 'one', WORLD_SIZE: '2' })).toThrow(InvalidArgumentError);
    expect(() => resolveDistributedEnvironment({ RANK: 'one', WORLD_SIZE: '2' })).toThrow(/'RANK' = "one"; expected an integer >= 0/);
    expect(() => resolveDistributedEnvironment({ RANK: '2', WORLD_SIZE: '2', MASTER_ADDR: 'x' })).toThrow(
      /'RANK' = 2; expected a rank below the world size 2/,
    );
    expect(() => resolveDistributedEnvironment({ RANK: '0', WORLD_SIZE: '2', MASTER_ADDR: 'x', MASTER_PORT: '70000' })).toThrow(
      /'MASTER_PORT' = "70000"; expected a TCP port/,
    );
    expect(() => resolveDistributedEnvironment({ RANK: '0', WORLD_SIZE: '2' })).toThrow(/'MASTER_ADDR' = undefined; expected the address of rank 0's machine/);
  });
});

describe('firstSlurmHost', () => {
  it.each([
    ['node1', 'node1'],
    ['node[07-10,12],gpu3', 'node07'],
    ['a1,b2', 'a1'],
    ['c[3,5-6]-ib,d1', 'c3-ib'],
    [' rack[2-3] ', 'rack2'],
  ])('%s → %s', (list, host) => expect(firstSlurmHost(list)).toBe(host));
});
