import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CounterRandom } from '@msn/random';
import { randomResizedCropBox } from './random-resized-crop';

const ratioRange = [3 / 4, 4 / 3] as const;

describe('randomResizedCropBox (torchvision RandomResizedCrop.get_params)', () => {
  it('returns crops inside the image whose area and aspect ratio lie in range (up to rounding) or the central fallback', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 300 }),
        fc.integer({ min: 1, max: 300 }),
        fc.double({ min: 0.01, max: 1, noNaN: true }),
        fc.double({ min: 0.01, max: 1, noNaN: true }),
        fc.nat(),
        (height, width, scaleA, scaleB, seed) => {
          const scale = [Math.min(scaleA, scaleB), Math.max(scaleA, scaleB)] as const;
          const box = randomResizedCropBox(height, width, scale, ratioRange, CounterRandom.fromKey([seed]));
          expect(box.top).toBeGreaterThanOrEqual(0);
          expect(box.left).toBeGreaterThanOrEqual(0);
          expect(box.height).toBeGreaterThanOrEqual(1);
          expect(box.width).toBeGreaterThanOrEqual(1);
          expect(box.top + box.height).toBeLessThanOrEqual(height);
          expect(box.left + box.width).toBeLessThanOrEqual(width);
          for (const value of Object.values(box)) expect(Number.isInteger(value)).toBe(true);
          // w = round(√(A·r)), h = round(√(A/r)) with A ∈ H·W·scale, r ∈ ratio: bound what rounding can do.
          const inRange =
            (box.width - 0.5) * (box.height - 0.5) <= height * width * scale[1] + 1e-9 &&
            (box.width + 0.5) * (box.height + 0.5) >= height * width * scale[0] - 1e-9 &&
            (box.width - 0.5) / (box.height + 0.5) <= ratioRange[1] + 1e-9 &&
            (box.width + 0.5) / (box.height - 0.5) >= ratioRange[0] - 1e-9;
          if (!inRange) {
            // Only the fallback may leave the ranges: the whole image clamped to the ratio range, centred.
            const inputRatio = width / height;
            const expectedWidth = inputRatio > ratioRange[1] ? Math.round(height * ratioRange[1]) : width;
            const expectedHeight = inputRatio < ratioRange[0] ? Math.round(width / ratioRange[0]) : height;
            expect(Math.abs(box.width - expectedWidth)).toBeLessThanOrEqual(1);
            expect(Math.abs(box.height - expectedHeight)).toBeLessThanOrEqual(1);
            expect(box.top).toBe(Math.floor((height - box.height) / 2));
            expect(box.left).toBe(Math.floor((width - box.width) / 2));
          }
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('falls back to the central crop clamped to the ratio range when no attempt fits', () => {
    // A 1-pixel-high strip: every attempt has h >= 1 and w <= 4/3·h, far below what scale 0.9 needs.
    const box = randomResizedCropBox(2, 100, [0.9, 1], ratioRange, CounterRandom.fromKey([1]));
    expect(box).toEqual({ top: 0, left: 48, height: 2, width: 3 });
    const tall = randomResizedCropBox(100, 3, [0.9, 1], ratioRange, CounterRandom.fromKey([1]));
    expect(tall).toEqual({ top: 48, left: 0, height: 4, width: 3 });
    // The whole image when its own ratio is in range but no random crop fit.
    expect(randomResizedCropBox(1, 1, [0.1, 0.2], ratioRange, CounterRandom.fromKey([3]))).toEqual({ top: 0, left: 0, height: 1, width: 1 });
  });

  it('covers the scale range: mean area fraction near the middle for a large image', () => {
    const random = CounterRandom.fromKey([4]);
    let total = 0;
    const runs = 4000;
    for (let run = 0; run < runs; run++) {
      const box = randomResizedCropBox(1000, 1000, [0.3, 1], ratioRange, random);
      total += (box.height * box.width) / 1e6;
    }
    // Attempts whose side exceeds 1000 are redrawn, which lowers the mean a little below 0.65.
    expect(total / runs).toBeGreaterThan(0.55);
    expect(total / runs).toBeLessThan(0.66);
  });
});
