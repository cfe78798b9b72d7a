// Deterministic per-rank test data, shared by the child scripts and the tests that check their results.

/** Float32 values of varied magnitude (so summation order matters), distinct per rank, size and element. */
export function rankValues(rank: number, size: number, salt = 0): Float32Array {
  const values = new Float32Array(size);
  for (let index = 0; index < size; index++) {
    const angle = index * 12.9898 + rank * 78.233 + size * 0.618 + salt * 3.1;
    values[index] = Math.sin(angle) * 10 ** ((index + rank) % 7 - 3);
  }
  return values;
}

/** Small integers (int32 sums are exact). */
export function rankIntegers(rank: number, size: number): Int32Array {
  const values = new Int32Array(size);
  for (let index = 0; index < size; index++) values[index] = ((index * 7919 + rank * 104_729) % 2001) - 1000;
  return values;
}
