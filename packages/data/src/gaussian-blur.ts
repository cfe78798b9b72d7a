// Separable Gaussian blur with reflect padding (torchvision's tensor `gaussian_blur`), in place on planar RGB.
import type { ResizeScratch } from './resize';

/**
 * torchvision's `_get_gaussian_kernel1d`: offsets i − (k−1)/2 for i = 0…k−1, weights exp(−offset²/(2σ²)),
 * normalised to sum 1.
 */
export function gaussianKernel1d(kernelSize: number, sigma: number): Float64Array {
  const weights = new Float64Array(kernelSize);
  const half = (kernelSize - 1) * 0.5;
  let total = 0;
  for (let i = 0; i < kernelSize; i++) {
    const offset = (i - half) / sigma;
    weights[i] = Math.exp(-0.5 * offset * offset);
    total += weights[i]!;
  }
  for (let i = 0; i < kernelSize; i++) weights[i]! /= total;
  return weights;
}

/**
 * Kernel size used when none is given: 2·ceil(3σ) + 1 (covers ±3σ, > 99.7 % of the mass), capped at
 * 2·side − 1 because reflect padding needs a pad smaller than the side.
 */
export function kernelSizeForSigma(sigma: number, side: number): number {
  const size = 2 * Math.ceil(3 * sigma) + 1;
  return Math.min(size, largestKernel(side));
}

/** The largest odd kernel reflect padding allows on an axis of `side` pixels. */
export function largestKernel(side: number): number {
  return Math.max(1, 2 * side - 1);
}

// Mirror without repeating the edge: −1 → 1, side → side − 2 (torch's "reflect" padding).
function reflect(position: number, side: number): number {
  if (side === 1) return 0;
  let index = position;
  if (index < 0) index = -index;
  if (index >= side) index = 2 * (side - 1) - index;
  return index;
}

/**
 * Blurs `channels` planes of `height × width` at `offset` in place: correlation with
 * outer(heightWeights, widthWeights) after reflect-padding (kx//2 columns, ky//2 rows), computed as a
 * horizontal then a vertical 1-D pass (the 2-D kernel is separable, so the result is the same up to rounding).
 */
export function gaussianBlurInPlace(
  data: Float32Array,
  offset: number,
  channels: number,
  height: number,
  width: number,
  widthWeights: Float64Array,
  heightWeights: Float64Array,
  scratch: ResizeScratch,
): void {
  const plane = height * width;
  const temp = scratch.ensure(plane + Math.max(width, height));
  const halfWidth = (widthWeights.length - 1) >> 1;
  const halfHeight = (heightWeights.length - 1) >> 1;
  const line = temp.subarray(plane);
  for (let channel = 0; channel < channels; channel++) {
    const base = offset + channel * plane;
    // Horizontal pass into temp; the interior skips the reflect lookup.
    for (let row = 0; row < height; row++) {
      const rowBase = base + row * width;
      const tempRow = row * width;
      for (let column = 0; column < width; column++) {
        let total = 0;
        const first = column - halfWidth;
        if (first >= 0 && column + halfWidth < width) {
          for (let tap = 0; tap < widthWeights.length; tap++) total += widthWeights[tap]! * data[rowBase + first + tap]!;
        } else {
          for (let tap = 0; tap < widthWeights.length; tap++) {
            total += widthWeights[tap]! * data[rowBase + reflect(first + tap, width)]!;
          }
        }
        temp[tempRow + column] = total;
      }
    }
    // Vertical pass from temp back into the image, one output row at a time.
    for (let row = 0; row < height; row++) {
      line.fill(0, 0, width);
      for (let tap = 0; tap < heightWeights.length; tap++) {
        const weight = heightWeights[tap]!;
        const source = reflect(row - halfHeight + tap, height) * width;
        for (let column = 0; column < width; column++) line[column]! += weight * temp[source + column]!;
      }
      data.set(line.subarray(0, width), base + row * width);
    }
  }
}
