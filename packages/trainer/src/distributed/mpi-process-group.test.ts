// The MPI process group under a real mpirun, with world sizes 2 and 3 (an odd size), plain and in chunks.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MPI_MISSING, PACKAGE_DIRECTORY, jsonLines, runUnderMpirun } from './__fixtures__/spawn-mpi';
import { countChunks } from './mpi-process-group';

const CHILD = join(PACKAGE_DIRECTORY, 'src/distributed/__fixtures__/mpi-collectives-child.ts');

interface Battery {
  sum: number[];
  mean: number[];
  int32: number[];
  inPlace: number[];
  coalesced: number[][];
  broadcast: number[];
  object: unknown;
  gatheredShape: number[];
  gathered: number[];
  async: number[];
  barrier: boolean;
}

interface Report {
  rank: number;
  worldSize: number;
  localRank: number;
  localWorldSize: number;
  backend: string;
  implementation: string;
  plain: Battery;
  chunked: Battery;
  largeDistinct: number[];
  gradient: number[];
  destroyed: string;
}

describe('countChunks', () => {
  it('covers the count with ranges of at most maxCount elements, and an empty buffer with one empty range', () => {
    expect(countChunks(10, 4)).toEqual([
      [0, 4],
      [4, 8],
      [8, 10],
    ]);
    expect(countChunks(8, 4)).toEqual([
      [0, 4],
      [4, 8],
    ]);
    expect(countChunks(0, 4)).toEqual([[0, 0]]);
    // The real limit: 2³¹ − 1 elements per call (C int), so a 2³² element buffer takes three calls.
    expect(countChunks(2 ** 32, 2 ** 31 - 1)).toEqual([
      [0, 2 ** 31 - 1],
      [2 ** 31 - 1, 2 ** 32 - 2],
      [2 ** 32 - 2, 2 ** 32],
    ]);
  });
});

describe.skipIf(MPI_MISSING !== undefined)(`MpiProcessGroup under mpirun${MPI_MISSING ? ` (skipped: ${MPI_MISSING})` : ''}`, () => {
  for (const worldSize of [2, 3]) {
    it(`world size ${worldSize}: ranks, local ranks and every collective give the exact expected values, also in chunks`, async () => {
      const outcome = await runUnderMpirun(CHILD, worldSize, []);
      expect(outcome.code, outcome.stderr).toBe(0);
      const reports = jsonLines<Report>(outcome).sort((left, right) => left.rank - right.rank);
      expect(reports.map((report) => report.rank)).toEqual([...Array(worldSize).keys()]);
      const triangle = (worldSize * (worldSize + 1)) / 2; // 1 + 2 + … + worldSize
      const ranks = [...Array(worldSize).keys()];
      const rankSum = triangle - worldSize; // 0 + 1 + … + worldSize − 1
      for (const report of reports) {
        expect(report).toMatchObject({ worldSize, backend: 'mpi', localWorldSize: worldSize, localRank: report.rank });
        expect(report.implementation).toMatch(/Open MPI|MPICH/);
        for (const battery of [report.plain, report.chunked]) {
          expect(battery.sum).toEqual([triangle, 2 * triangle, 0.5 * worldSize]);
          expect(battery.mean).toEqual([Math.fround(rankSum / worldSize), 3]);
          expect(battery.int32).toEqual([rankSum, -rankSum, 7 * worldSize]);
          expect(battery.inPlace).toEqual([rankSum, worldSize]);
          expect(battery.coalesced).toEqual([[rankSum], [worldSize, rankSum, 2 * worldSize, 3 * worldSize]]);
          expect(battery.broadcast).toEqual([0, 1, 2, 3, 4, 5, 6].map((index) => index * worldSize)); // the last rank's
          expect(battery.object).toEqual({ from: 'rank 0', values: [1, 2] });
          expect(battery.gatheredShape).toEqual([worldSize, 2]);
          expect(battery.gathered).toEqual(ranks.flatMap((rank) => [rank, 10 * rank]));
          expect(battery.async).toEqual([1, 2, 3, 4, 5].map((value) => value * worldSize));
          expect(battery.barrier).toBe(true);
        }
        expect(report.largeDistinct).toEqual([triangle]);
        // d/dx of Σ_r (r+1)·Σ(allReduce(x)) on each rank is Σ_r (r+1): the all-reduce of the upstream gradients.
        expect(report.gradient).toEqual([triangle, triangle]);
        expect(report.destroyed).toMatch(/DistributedError: barrier: the process group was destroyed/);
      }
    });
  }
});
