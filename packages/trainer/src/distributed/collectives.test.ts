import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { rankIntegers, rankValues } from './__fixtures__/rank-values';
import { PACKAGE_DIRECTORY, lastJsonLine, runRanks } from './__fixtures__/spawn-ranks';
import { chunkRanges } from './partition';

// Every rank of a real group (child processes on loopback) runs every collective on deterministic data; the
// expected values are recomputed here in the documented summation order, and must match bit for bit.
const CHILD = join(PACKAGE_DIRECTORY, 'src/distributed/__fixtures__/collectives-child.ts');
const SIZES = [1, 2, 3, 5, 7, 64, 1000, 4099];
const BIG = 300_007;
const directory = mkdtempSync(join(tmpdir(), 'msn-collectives-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

/** Chunk c of the buffer summed as ((x_c + x_{c+1}) + …) over ranks taken cyclically, in float32. */
function orderedSum(perRank: Float32Array[], size: number): Float32Array {
  const worldSize = perRank.length;
  const result = new Float32Array(size);
  chunkRanges(size, worldSize).forEach((range, chunk) => {
    for (let index = range.start; index < range.end; index++) {
      let total = perRank[chunk]![index]!;
      for (let offset = 1; offset < worldSize; offset++) total = Math.fround(total + perRank[(chunk + offset) % worldSize]![index]!);
      result[index] = total;
    }
  });
  return result;
}

const sumOf = (worldSize: number, size: number, salt = 0) =>
  Array.from(orderedSum(Array.from({ length: worldSize }, (_, rank) => rankValues(rank, size, salt)), size));

interface Report {
  rank: number;
  worldSize: number;
  backend: string;
  localWorldSize: number;
  leaked: number;
  object: unknown;
  [key: string]: unknown;
}

const configurations = [
  { worldSize: 1, backend: 'auto', expectedBackend: 'single' },
  { worldSize: 2, backend: 'shm', expectedBackend: 'shm' },
  { worldSize: 2, backend: 'tcp', expectedBackend: 'tcp' },
  { worldSize: 3, backend: 'shm', expectedBackend: 'shm' },
  { worldSize: 3, backend: 'tcp', expectedBackend: 'tcp' },
] as const;

describe('collectives across processes', () => {
  it('uses test data on which the summation order changes float32 results (so order bugs are caught)', () => {
    const perRank = [0, 1, 2].map((rank) => rankValues(rank, 4099));
    const rankOrder = Array.from({ length: 4099 }, (_, index) =>
      Math.fround(Math.fround(perRank[0]![index]! + perRank[1]![index]!) + perRank[2]![index]!),
    );
    expect(Array.from(orderedSum(perRank, 4099))).not.toEqual(rankOrder);
  });

  for (const { worldSize, backend, expectedBackend } of configurations) {
    describe(`world size ${worldSize}, backend ${backend}`, () => {
      let reports: Report[] = [];

      it('runs every rank to a clean exit', async () => {
        const outcomes = await runRanks(CHILD, worldSize, (rank) => [
          JSON.stringify({
            backend,
            sizes: SIZES,
            // Tiny pieces and slots: every multi-round and pipelined code path runs on small data.
            segmentBytes: 64,
            shmSlotBytes: 256,
            bigSizes: worldSize === 3 ? [BIG] : [],
            output: join(directory, `${backend}-${worldSize}-${rank}.json`),
          }),
        ]);
        for (const outcome of outcomes) expect(outcome.code, `rank ${outcome.rank}: ${outcome.stderr}`).toBe(0);
        reports = outcomes.map((outcome) =>
          JSON.parse(readFileSync(join(directory, `${backend}-${worldSize}-${outcome.rank}.json`), 'utf8')),
        );
        for (const report of reports) {
          expect(report.worldSize).toBe(worldSize);
          expect(report.backend).toBe(expectedBackend);
          expect(report.localWorldSize).toBe(worldSize);
        }
      });

      it('all-reduces sums and means bitwise-identically to the documented order, on every rank', () => {
        expect(reports).toHaveLength(worldSize);
        for (const report of reports) {
          for (const size of SIZES) {
            const sum = sumOf(worldSize, size);
            expect(report[`sum/${size}`], `rank ${report.rank} sum/${size}`).toEqual(sum);
            expect(report[`mean/${size}`]).toEqual({
              shape: size % 2 === 0 ? [2, size / 2] : [size],
              dtype: 'float32',
              values: sum.map((value) => Math.fround(value / worldSize)),
            });
            const integers = Array.from({ length: size }, (_, index) =>
              Array.from({ length: worldSize }, (__, rank) => rankIntegers(rank, size)[index]!).reduce((a, b) => a + b, 0),
            );
            expect(report[`int/${size}`]).toEqual(integers);
          }
        }
      });

      it('keeps program order for async operations mixed with sync ones', () => {
        for (const report of reports) {
          for (const size of SIZES) {
            expect(report[`async/${size}`]).toEqual([sumOf(worldSize, size, 1), sumOf(worldSize, size, 2), sumOf(worldSize, size, 3)]);
          }
        }
      });

      it('all-reduces typed arrays in place, sync and async', () => {
        for (const report of reports) {
          for (const size of SIZES) {
            expect(report[`inPlace/${size}`]).toEqual([
              sumOf(worldSize, size, 7),
              sumOf(worldSize, size, 8).map((value) => Math.fround(value / worldSize)),
            ]);
          }
        }
      });

      it('all-reduces coalesced tensors as one concatenated buffer, back into their shapes', () => {
        for (const report of reports) {
          for (const size of SIZES) {
            const concatenated = Array.from({ length: worldSize }, (_, rank) => {
              const values = new Float32Array(size + 3);
              values.set(rankValues(rank, size, 4));
              values.set(rankValues(rank, 3, 5), size);
              return values;
            });
            const sum = Array.from(orderedSum(concatenated, size + 3));
            expect(report[`coalesced/${size}`]).toEqual([
              { shape: [size], values: sum.slice(0, size) },
              { shape: [3, 1], values: sum.slice(size) },
            ]);
          }
        }
      });

      it("broadcasts the root's data and gathers every rank's tensor in rank order", () => {
        for (const report of reports) {
          for (const size of SIZES) {
            const root = size % worldSize;
            expect(report[`broadcast/${size}`]).toEqual(Array.from(rankValues(root, size, 6)));
            expect(report[`gather/${size}`]).toEqual({
              shape: [worldSize, size],
              values: Array.from({ length: worldSize }, (_, rank) => Array.from(rankIntegers(rank, size))).flat(),
            });
          }
          expect(report.object).toEqual({ hello: 'from rank 0', list: [1, 2, 3] });
        }
      });

      it('completes an async operation issued just before destroy', () => {
        for (const report of reports) expect(report.asyncBeforeDestroy).toEqual(sumOf(worldSize, 5, 9));
      });

      it('leaks no tensors', () => {
        for (const report of reports) expect(report.leaked, `rank ${report.rank}`).toBe(0);
      });

      if (worldSize === 3) {
        it(`all-reduces ${BIG} elements (many pieces and rounds)`, () => {
          const expected = orderedSum([0, 1, 2].map((rank) => rankValues(rank, BIG)), BIG);
          for (let rank = 0; rank < worldSize; rank++) {
            const bytes = readFileSync(join(directory, `${backend}-${worldSize}-${rank}.json.${BIG}.f32`));
            const got = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
            expect(Buffer.from(got.buffer, got.byteOffset, got.byteLength).equals(Buffer.from(expected.buffer)), `rank ${rank}`).toBe(true);
          }
        });
      }
    });
  }

  it('reports each child', () => {
    // Keeps lastJsonLine exercised for the fault tests' report format.
    expect(lastJsonLine<{ ok: boolean }>({ rank: 0, code: 0, signal: null, stdout: 'noise\n{"ok":true}\n', stderr: '', elapsedMs: 0 })).toEqual({ ok: true });
  });
});
