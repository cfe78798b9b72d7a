import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DistributedSampler } from './distributed-sampler';
import { InvalidArgumentError } from '@msn/errors';
import { RandomSampler, SequentialSampler } from './sampler';

function shards(datasetLength: number, worldSize: number, options: { seed?: number; dropLast?: boolean; shuffle?: boolean }, epoch: number) {
  return Array.from({ length: worldSize }, (_, rank) => {
    const sampler = new DistributedSampler({ datasetLength, rank, worldSize, ...options });
    sampler.setEpoch(epoch);
    return { sampler, indices: sampler.indices() };
  });
}

const settings = fc.record({
  datasetLength: fc.integer({ min: 1, max: 300 }),
  worldSize: fc.integer({ min: 1, max: 9 }),
  seed: fc.nat(),
  epoch: fc.nat({ max: 1000 }),
  shuffle: fc.boolean(),
});

describe('DistributedSampler (torch semantics)', () => {
  it('padding: equal shard sizes ceil(N / W), interleaving back into one shared order that covers every index', () => {
    fc.assert(
      fc.property(settings, ({ datasetLength, worldSize, seed, epoch, shuffle }) => {
        const all = shards(datasetLength, worldSize, { seed, shuffle }, epoch);
        const size = Math.ceil(datasetLength / worldSize);
        for (const { sampler, indices } of all) {
          expect(indices.length).toBe(size);
          expect(sampler.length).toBe(size);
          expect(sampler.totalSize).toBe(size * worldSize);
        }
        // Rank r holds positions r, r + W, …: interleaving restores the padded list.
        const padded = Array.from({ length: size * worldSize }, (_, position) => all[position % worldSize]!.indices[Math.floor(position / worldSize)]!);
        const order = padded.slice(0, datasetLength);
        expect([...order].sort((a, b) => a - b)).toEqual(Array.from({ length: datasetLength }, (_, index) => index));
        // The padding repeats the start of the same order (wrap-around).
        padded.slice(datasetLength).forEach((index, position) => expect(index).toBe(order[position % datasetLength]));
        if (!shuffle) expect(order).toEqual(Array.from({ length: datasetLength }, (_, index) => index));
      }),
      { numRuns: 300 },
    );
  });

  it('dropLast: disjoint shards of floor(N / W) indices, no duplicates', () => {
    fc.assert(
      fc.property(settings, ({ datasetLength, worldSize, seed, epoch, shuffle }) => {
        fc.pre(datasetLength >= worldSize);
        const all = shards(datasetLength, worldSize, { seed, shuffle, dropLast: true }, epoch);
        const size = Math.floor(datasetLength / worldSize);
        const seen = new Set<number>();
        for (const { indices } of all) {
          expect(indices.length).toBe(size);
          for (const index of indices) {
            expect(seen.has(index)).toBe(false);
            expect(index).toBeGreaterThanOrEqual(0);
            expect(index).toBeLessThan(datasetLength);
            seen.add(index);
          }
        }
        expect(seen.size).toBe(size * worldSize);
      }),
      { numRuns: 300 },
    );
  });

  it('shuffles differently per epoch and per seed, identically for equal (seed, epoch)', () => {
    const order = (seed: number, epoch: number) => shards(100, 1, { seed }, epoch)[0]!.indices;
    expect(order(1, 0)).toEqual(order(1, 0));
    expect(order(1, 0)).not.toEqual(order(1, 1));
    expect(order(1, 0)).not.toEqual(order(2, 0));
    // Without setEpoch every epoch repeats (torch's warning): the order only depends on the epoch set.
    const sampler = new DistributedSampler({ datasetLength: 100, rank: 0, worldSize: 1, seed: 1 });
    expect(sampler.indices()).toEqual(sampler.indices());
  });

  it('rejects bad arguments, naming them', () => {
    expect(() => new DistributedSampler({ datasetLength: 10, rank: 2, worldSize: 2 })).toThrow(InvalidArgumentError);
    expect(() => new DistributedSampler({ datasetLength: 10, rank: 2, worldSize: 2 })).toThrow(
      /DistributedSampler: invalid argument 'rank' = 2; expected an integer in \[0, 1\] \(worldSize 2\)/,
    );
    expect(() => new DistributedSampler({ datasetLength: 10, rank: 0, worldSize: 0 })).toThrow(/'worldSize' = 0/);
    expect(() => new DistributedSampler({ datasetLength: 0, rank: 0, worldSize: 1 })).toThrow(/'datasetLength' = 0/);
    expect(() => new DistributedSampler({ datasetLength: 3, rank: 0, worldSize: 4, dropLast: true })).toThrow(/at least worldSize \(4\)/);
    expect(() => new DistributedSampler({ datasetLength: 3, rank: 0, worldSize: 1, seed: -1 })).toThrow(/'seed' = -1/);
    const sampler = new DistributedSampler({ datasetLength: 3, rank: 0, worldSize: 1 });
    expect(() => sampler.setEpoch(1.5)).toThrow(/DistributedSampler.setEpoch: invalid argument 'epoch' = 1.5/);
  });
});

describe('SequentialSampler and RandomSampler', () => {
  it('visit every index once per epoch', () => {
    expect(new SequentialSampler(5).indices()).toEqual([0, 1, 2, 3, 4]);
    const random = new RandomSampler(50, { seed: 3 });
    const first = random.indices();
    expect([...first].sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, index) => index));
    random.setEpoch(1);
    expect(random.indices()).not.toEqual(first);
    random.setEpoch(0);
    expect(random.indices()).toEqual(first);
  });

  it('reject bad lengths', () => {
    expect(() => new SequentialSampler(0)).toThrow(/SequentialSampler: invalid argument 'datasetLength' = 0/);
    expect(() => new RandomSampler(4, { seed: 0.5 })).toThrow(/RandomSampler: invalid argument 'seed' = 0.5/);
  });
});
