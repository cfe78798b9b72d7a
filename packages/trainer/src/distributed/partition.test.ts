import { describe, expect, it } from 'vitest';
import { accumulate, chunkRanges, divideInPlace, pieces } from './partition';
import { decodeHeader, encodeHeader, WIRE_HEADER_BYTES } from './wire-header';

describe('chunkRanges', () => {
  it('splits into contiguous chunks differing by at most one element, larger chunks first', () => {
    expect(chunkRanges(10, 3)).toEqual([
      { start: 0, end: 4 },
      { start: 4, end: 7 },
      { start: 7, end: 10 },
    ]);
    expect(chunkRanges(2, 3)).toEqual([
      { start: 0, end: 1 },
      { start: 1, end: 2 },
      { start: 2, end: 2 },
    ]);
    expect(chunkRanges(0, 2)).toEqual([
      { start: 0, end: 0 },
      { start: 0, end: 0 },
    ]);
    expect(chunkRanges(5, 1)).toEqual([{ start: 0, end: 5 }]);
  });
});

describe('pieces', () => {
  it('cuts a range into pieces of at most the given length', () => {
    expect(pieces({ start: 3, end: 10 }, 3)).toEqual([
      { start: 3, end: 6 },
      { start: 6, end: 9 },
      { start: 9, end: 10 },
    ]);
  });

  it('keeps one empty piece for an empty range (the schedule still has that step)', () => {
    expect(pieces({ start: 4, end: 4 }, 3)).toEqual([{ start: 4, end: 4 }]);
  });
});

describe('accumulate and divideInPlace', () => {
  it('adds the received partial sum to the local values with float32 rounding', () => {
    const target = Float32Array.of(1, 1e8, -2);
    accumulate(target, Float32Array.of(2, 1, 0.5));
    // 1e8 + 1 is not representable in float32: rounds back to 1e8.
    expect(Array.from(target)).toEqual([3, 1e8, -1.5]);
  });

  it('wraps int32 sums like int32 arithmetic', () => {
    const target = Int32Array.of(2 ** 31 - 1, -5);
    accumulate(target, Int32Array.of(1, 7));
    expect(Array.from(target)).toEqual([-(2 ** 31), 2]);
  });

  it('divides in float32', () => {
    const values = Float32Array.of(1, 3);
    divideInPlace(values, 3);
    expect(Array.from(values)).toEqual([Math.fround(1 / 3), 1]);
  });
});

describe('wire header', () => {
  it('round-trips every field', () => {
    const header = { seq: 4_000_000_000, kind: 'broadcast', dtype: 'uint8', count: 123_456, op: 'none', root: 7 } as const;
    const bytes = encodeHeader(header);
    expect(bytes.byteLength).toBe(WIRE_HEADER_BYTES);
    expect(decodeHeader(bytes)).toEqual(header);
    expect(decodeHeader(encodeHeader({ ...header, kind: 'allReduce', dtype: 'float32', op: 'mean' }))).toEqual({
      ...header,
      kind: 'allReduce',
      dtype: 'float32',
      op: 'mean',
    });
  });

  it('rejects bytes that are not a header', () => {
    expect(decodeHeader(new Uint8Array(WIRE_HEADER_BYTES))).toBeUndefined();
    const corrupted = encodeHeader({ seq: 1, kind: 'barrier', dtype: 'int32', count: 0, op: 'none', root: 0 });
    corrupted[16] = 99;
    expect(decodeHeader(corrupted)).toBeUndefined();
  });
});
