import * as tf from '@tensorflow/tfjs-core';
import { expectNoLeakedTensors, useBackend } from '@msn/test-utils';
import { beforeAll, describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '@msn/errors';
import { focalTokenMask } from './focal-token-mask';
import { createRandom } from '@msn/random';
import { numTokensKept, randomTokenMask } from './random-token-mask';

function rows(mask: tf.Tensor2D): number[][] {
  return mask.arraySync() as number[][];
}

describe('randomTokenMask', () => {
  beforeAll(() => useBackend('cpu'));

  it('keeps floor((L − 1)(1 − r)) + 1 distinct tokens per sample, class token first, others unsorted', () => {
    for (const [sequenceLength, maskRatio] of [
      [17, 0.25],
      [65, 0.15],
      [5, 0.25],
      [16, 0.15],
      [2, 0.9],
      [10, 0],
      [10, 1],
    ] as const) {
      const mask = randomTokenMask({ batchSize: 64, sequenceLength, maskRatio, seed: sequenceLength });
      const kept = Math.floor((sequenceLength - 1) * (1 - maskRatio)) + 1;
      expect(mask.dtype).toBe('int32');
      expect(mask.shape).toEqual([64, kept]);
      expect(numTokensKept(sequenceLength, maskRatio)).toBe(kept);
      let unsortedRows = 0;
      for (const row of rows(mask)) {
        expect(row[0]).toBe(0);
        expect(new Set(row).size).toBe(kept);
        for (const index of row) expect(index >= 0 && index < sequenceLength).toBe(true);
        if (row.slice(1).some((value, position, rest) => position > 0 && value < rest[position - 1]!)) unsortedRows++;
      }
      // With 3+ random non-class tokens, sorted order is rare (1/(k−1)! per row).
      if (kept >= 4) expect(unsortedRows).toBeGreaterThan(32);
      mask.dispose();
    }
  });

  it('draws every patch equally often', () => {
    const sequenceLength = 9;
    const mask = randomTokenMask({ batchSize: 4000, sequenceLength, maskRatio: 0.5, seed: 3 });
    const counts = new Array<number>(sequenceLength).fill(0);
    for (const row of rows(mask)) for (const index of row) counts[index]!++;
    expect(counts[0]).toBe(4000);
    // Each patch is kept with probability 4/8: mean 2000, σ ≈ 32; ±5σ.
    for (const count of counts.slice(1)) expect(Math.abs(count - 2000)).toBeLessThan(160);
    mask.dispose();
  });

  it('may drop the class token when maskClassToken is true, keeping floor(L(1 − r))', () => {
    const mask = randomTokenMask({ batchSize: 200, sequenceLength: 10, maskRatio: 0.35, maskClassToken: true, seed: 1 });
    expect(mask.shape).toEqual([200, 6]);
    const withClassFirst = rows(mask).filter((row) => row[0] === 0).length;
    expect(withClassFirst).toBeLessThan(100);
    mask.dispose();
  });

  it('is reproducible from a seed, continues a shared stream, and differs across seeds', () => {
    const a = randomTokenMask({ batchSize: 4, sequenceLength: 17, maskRatio: 0.25, seed: 9 });
    const b = randomTokenMask({ batchSize: 4, sequenceLength: 17, maskRatio: 0.25, seed: 9 });
    const c = randomTokenMask({ batchSize: 4, sequenceLength: 17, maskRatio: 0.25, seed: 10 });
    expect(rows(b)).toEqual(rows(a));
    expect(rows(c)).not.toEqual(rows(a));
    const stream = createRandom(9);
    const first = randomTokenMask({ batchSize: 4, sequenceLength: 17, maskRatio: 0.25, random: stream });
    const second = randomTokenMask({ batchSize: 4, sequenceLength: 17, maskRatio: 0.25, random: stream });
    expect(rows(first)).toEqual(rows(a));
    expect(rows(second)).not.toEqual(rows(first));
    tf.dispose([a, b, c, first, second]);
  });

  it('does not leak tensors', async () => {
    await expectNoLeakedTensors(() => tf.dispose(randomTokenMask({ batchSize: 2, sequenceLength: 5, maskRatio: 0.5, seed: 1 })));
  });

  it('rejects invalid options, naming them', () => {
    expect(() => randomTokenMask({ batchSize: 0, sequenceLength: 5, maskRatio: 0.5 })).toThrow(InvalidArgumentError);
    expect(() => randomTokenMask({ batchSize: 2, sequenceLength: 5, maskRatio: 1.5 })).toThrow(
      /randomTokenMask: invalid argument 'maskRatio' = 1.5; expected a number in \[0, 1\]/,
    );
    expect(() => randomTokenMask({ batchSize: 2, sequenceLength: 5, maskRatio: 0.9, maskClassToken: true })).toThrow(/keeps at least one of 5 tokens/);
    expect(() => randomTokenMask({ batchSize: 2, sequenceLength: 5, maskRatio: 0.5, seed: 1, random: createRandom(1) })).toThrow(/either 'seed' or 'random'/);
    expect(() => randomTokenMask({ batchSize: 2, sequenceLength: 5, maskRatio: 0.5, seed: 0.5 })).toThrow(/'seed' = 0.5/);
    expect(() => randomTokenMask({ batchSize: 2, sequenceLength: 5, mask_ratio: 0.5 } as never)).toThrow(/'mask_ratio'/);
  });
});

describe('focalTokenMask', () => {
  beforeAll(() => useBackend('cpu'));

  it('keeps the class token and one contiguous block in row-major order', () => {
    const mask = focalTokenMask({ batchSize: 300, gridSize: [5, 7], blockSize: [2, 3], seed: 4 });
    expect(mask.shape).toEqual([300, 7]);
    const corners = new Set<string>();
    for (const row of rows(mask)) {
      expect(row[0]).toBe(0);
      const patches = row.slice(1).map((index) => index - 1);
      const top = Math.floor(patches[0]! / 7);
      const left = patches[0]! % 7;
      corners.add(`${top},${left}`);
      expect(top + 2 <= 5 && left + 3 <= 7).toBe(true);
      const expected: number[] = [];
      for (let r = top; r < top + 2; r++) for (let c = left; c < left + 3; c++) expected.push(r * 7 + c);
      expect(patches).toEqual(expected);
    }
    // 4 × 5 = 20 possible corners; 300 draws visit all of them.
    expect(corners.size).toBe(20);
    mask.dispose();
  });

  it('accepts square sizes and a full-grid block, and is reproducible', () => {
    const full = focalTokenMask({ batchSize: 2, gridSize: 3, blockSize: 3, seed: 1 });
    expect(rows(full)).toEqual([
      [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
      [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    ]);
    const a = focalTokenMask({ batchSize: 5, gridSize: 8, blockSize: 4, seed: 2 });
    const b = focalTokenMask({ batchSize: 5, gridSize: 8, blockSize: 4, seed: 2 });
    expect(rows(a)).toEqual(rows(b));
    tf.dispose([full, a, b]);
  });

  it('rejects a block larger than the grid and malformed sizes', () => {
    expect(() => focalTokenMask({ batchSize: 1, gridSize: 4, blockSize: [5, 2] })).toThrow(/'blockSize' = \[5,2\]; expected a block that fits the 4×4 grid/);
    expect(() => focalTokenMask({ batchSize: 1, gridSize: [4] as never, blockSize: 2 })).toThrow(/'gridSize'/);
    expect(() => focalTokenMask({ batchSize: 1, gridSize: 4, blockSize: 0 })).toThrow(/'blockSize\[0\]' = 0/);
  });
});
