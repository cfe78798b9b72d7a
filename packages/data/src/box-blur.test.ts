import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BOX_PASSES, boxBlurInPlace, extendedBox } from './box-blur';
import { ResizeScratch } from './resize';

/** Straightforward reference: explicit extended-box kernel, edge-replicating lookups, passes one after another. */
function naiveBoxBlur(plane: Float64Array, height: number, width: number, sigma: number): Float64Array {
  const { radius, edgeWeight } = extendedBox(sigma);
  const kernel = [edgeWeight, ...new Array(2 * radius + 1).fill(1), edgeWeight].map((weight) => weight / (2 * radius + 1 + 2 * edgeWeight));
  let current = Float64Array.from(plane);
  const clamp = (value: number, size: number) => Math.min(size - 1, Math.max(0, value));
  for (const axis of ['x', 'y'] as const) {
    for (let pass = 0; pass < BOX_PASSES; pass++) {
      const next = new Float64Array(current.length);
      for (let y = 0; y < height; y++) {
        for (let x = 0; x < width; x++) {
          let total = 0;
          kernel.forEach((weight, tap) => {
            const offset = tap - radius - 1;
            const source = axis === 'x' ? y * width + clamp(x + offset, width) : clamp(y + offset, height) * width + x;
            total += weight * current[source]!;
          });
          next[y * width + x] = total;
        }
      }
      current = next;
    }
  }
  return current;
}

describe('PIL-style Gaussian blur (extended box passes)', () => {
  it('has per-pass variance σ²/3, so three passes have variance σ²', () => {
    for (const sigma of [0.1, 0.5, 1, 1.37, 2, 5]) {
      const { radius, edgeWeight } = extendedBox(sigma);
      expect(edgeWeight).toBeGreaterThanOrEqual(0);
      expect(edgeWeight).toBeLessThan(1);
      const norm = 2 * radius + 1 + 2 * edgeWeight;
      let variance = 2 * edgeWeight * (radius + 1) ** 2;
      for (let offset = -radius; offset <= radius; offset++) variance += offset * offset;
      expect(variance / norm).toBeCloseTo((sigma * sigma) / BOX_PASSES, 10);
    }
  });

  it('spreads an impulse with variance σ² along each axis and keeps its mass', () => {
    const size = 61;
    const sigma = 2.3;
    const data = new Float32Array(3 * size * size);
    data[30 * size + 30] = 1;
    boxBlurInPlace(data, 0, 3, size, size, sigma, new ResizeScratch());
    let mass = 0;
    let varianceX = 0;
    let varianceY = 0;
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const value = data[y * size + x]!;
        mass += value;
        varianceX += value * (x - 30) ** 2;
        varianceY += value * (y - 30) ** 2;
      }
    }
    expect(mass).toBeCloseTo(1, 5);
    expect(varianceX).toBeCloseTo(sigma * sigma, 4);
    expect(varianceY).toBeCloseTo(sigma * sigma, 4);
  });

  it('matches a direct evaluation with repeated edges on random images (offset buffers, several channels)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 12 }),
        fc.double({ min: 0.1, max: 4, noNaN: true }),
        fc.nat(),
        (height, width, sigma, seed) => {
          const plane = height * width;
          const offset = 5;
          const data = new Float32Array(offset + 2 * plane + 3);
          let state = seed + 1;
          for (let index = 0; index < data.length; index++) {
            state = (state * 1103515245 + 12345) % 2147483648;
            data[index] = state / 2147483648;
          }
          const before = Float64Array.from(data);
          boxBlurInPlace(data, offset, 2, height, width, sigma, new ResizeScratch());
          for (let channel = 0; channel < 2; channel++) {
            const start = offset + channel * plane;
            const expected = naiveBoxBlur(before.slice(start, start + plane), height, width, sigma);
            for (let index = 0; index < plane; index++) expect(data[start + index]).toBeCloseTo(expected[index]!, 5);
          }
          // Values outside the blurred planes are untouched.
          expect(Array.from(data.subarray(0, offset))).toEqual(Array.from(before.subarray(0, offset), Math.fround));
          expect(data[offset + 2 * plane]).toBe(Math.fround(before[offset + 2 * plane]!));
        },
      ),
      { numRuns: 150 },
    );
  });

  it('leaves a constant image unchanged', () => {
    const data = new Float32Array(3 * 9 * 7).fill(0.25);
    boxBlurInPlace(data, 0, 3, 9, 7, 1.7, new ResizeScratch());
    for (const value of data) expect(value).toBeCloseTo(0.25, 6);
  });
});
