// Crop + resize into planar float (torchvision `resized_crop`, bilinear, with or without antialiasing).
import type { FloatImage, RgbImage } from './image';

/** Read access to an 8-bit interleaved or float planar image, with grayscale read as R = G = B. */
export interface PixelSource {
  data: Uint8Array | Float32Array;
  width: number;
  height: number;
  /** Element step between neighbouring pixels of a row. */
  pixelStride: number;
  /** Element step between channels of one pixel (0 replicates a grayscale channel). */
  channelStride: number;
  /** Element step between rows. */
  rowStride: number;
  /** Multiplies every value read (1/255 for 8-bit data). */
  scale: number;
}

export function sourceFromRgbImage(image: RgbImage): PixelSource {
  return {
    data: image.data,
    width: image.width,
    height: image.height,
    pixelStride: image.channels,
    channelStride: image.channels === 1 ? 0 : 1,
    rowStride: image.width * image.channels,
    scale: 1 / 255,
  };
}

/** A planar float image with 1 or 3 channels. */
export function sourceFromFloatImage(image: FloatImage): PixelSource {
  return {
    data: image.data,
    width: image.width,
    height: image.height,
    pixelStride: 1,
    channelStride: image.channels === 1 ? 0 : image.width * image.height,
    rowStride: image.width,
    scale: 1,
  };
}

/** A crop rectangle in source pixels: rows [top, top + height), columns [left, left + width). */
export interface CropBox {
  top: number;
  left: number;
  height: number;
  width: number;
}

/** One axis of a separable resampling: output i reads `counts[i]` inputs from `starts[i]`, weights row-major. */
export interface AxisFilter {
  starts: Int32Array;
  counts: Int32Array;
  weights: Float64Array;
  /** Row length of `weights` (the most inputs any output reads). */
  taps: number;
}

/**
 * Weights resampling `inSize` inputs to `outSize` outputs (scale = in/out), as torch's bilinear
 * `interpolate(align_corners=False)`:
 * - `antialias`: PIL-style triangle filter stretched by max(scale, 1): support = max(scale, 1),
 *   c = scale·(i + 0.5), j ∈ [max(trunc(c − support + 0.5), 0), min(trunc(c + support + 0.5), in)),
 *   wⱼ = max(0, 1 − |(j − c + 0.5) / max(scale, 1)|), normalised to sum 1.
 * - otherwise: src = max((i + 0.5)·scale − 0.5, 0), i₀ = floor(src), i₁ = min(i₀ + 1, in − 1), weights (1 − λ, λ).
 */
export function axisFilter(inSize: number, outSize: number, antialias: boolean): AxisFilter {
  const scale = inSize / outSize;
  const starts = new Int32Array(outSize);
  const counts = new Int32Array(outSize);
  if (!antialias) {
    const weights = new Float64Array(outSize * 2);
    for (let i = 0; i < outSize; i++) {
      const source = Math.max((i + 0.5) * scale - 0.5, 0);
      const first = Math.floor(source);
      const lambda = source - first;
      starts[i] = first;
      if (first + 1 < inSize) {
        counts[i] = 2;
        weights[i * 2] = 1 - lambda;
        weights[i * 2 + 1] = lambda;
      } else {
        // i₁ = i₀ at the last input: both weights land on the same pixel.
        counts[i] = 1;
        weights[i * 2] = 1;
      }
    }
    return { starts, counts, weights, taps: 2 };
  }
  const support = Math.max(scale, 1);
  const inverse = 1 / support;
  const taps = Math.ceil(support) * 2 + 1;
  const weights = new Float64Array(outSize * taps);
  for (let i = 0; i < outSize; i++) {
    const center = scale * (i + 0.5);
    const begin = Math.max(Math.trunc(center - support + 0.5), 0);
    const end = Math.min(Math.trunc(center + support + 0.5), inSize);
    let total = 0;
    const base = i * taps;
    for (let j = begin; j < end; j++) {
      const weight = Math.max(0, 1 - Math.abs((j - center + 0.5) * inverse));
      weights[base + j - begin] = weight;
      total += weight;
    }
    const count = end - begin;
    if (total > 0) for (let k = 0; k < count; k++) weights[base + k]! /= total;
    starts[i] = begin;
    counts[i] = count;
  }
  return { starts, counts, weights, taps };
}

/** Caches axis filters by (in, out, antialias); random crops of small images repeat sizes a lot. */
export class AxisFilterCache {
  private readonly filters = new Map<number, AxisFilter>();

  get(inSize: number, outSize: number, antialias: boolean): AxisFilter {
    const key = (inSize * 65536 + outSize) * 2 + (antialias ? 1 : 0);
    let filter = this.filters.get(key);
    if (filter === undefined) {
      // Bounded: large images draw many distinct crop sizes; dropping everything is cheap and rare.
      if (this.filters.size >= 1024) this.filters.clear();
      filter = axisFilter(inSize, outSize, antialias);
      this.filters.set(key, filter);
    }
    return filter;
  }
}

/** Where a resized crop is written and whether it is mirrored on the way (flips commute with resizing). */
export interface ResizeTarget {
  data: Float32Array;
  offset: number;
  height: number;
  width: number;
  flipHorizontal: boolean;
  flipVertical: boolean;
}

/** Reusable intermediate storage so resizing allocates nothing per view once warm. */
export class ResizeScratch {
  buffer = new Float32Array(0);
  wide = new Float64Array(0);

  ensure(size: number): Float32Array {
    if (this.buffer.length < size) this.buffer = new Float32Array(size);
    return this.buffer;
  }

  /** Double-precision scratch, for running sums that must not drift. */
  ensureWide(size: number): Float64Array {
    if (this.wide.length < size) this.wide = new Float64Array(size);
    return this.wide;
  }
}

/**
 * Crops `box` from `source` and resizes it to `target.height × target.width`, writing 3 planar channels
 * (CHW) at `target.offset`. Horizontal pass first (into scratch, already mirrored when flipping), then
 * vertical pass. The caller guarantees the box lies inside the source.
 */
export function resizedCropInto(
  source: PixelSource,
  box: CropBox,
  target: ResizeTarget,
  antialias: boolean,
  filters: AxisFilterCache,
  scratch: ResizeScratch,
): void {
  const { data, pixelStride, channelStride, rowStride, scale } = source;
  const outHeight = target.height;
  const outWidth = target.width;
  const horizontal = filters.get(box.width, outWidth, antialias);
  const vertical = filters.get(box.height, outHeight, antialias);
  const tempPlane = box.height * outWidth;
  const temp = scratch.ensure(tempPlane * 3);
  const secondChannel = channelStride;
  const thirdChannel = channelStride * 2;

  for (let row = 0; row < box.height; row++) {
    const rowBase = (box.top + row) * rowStride + box.left * pixelStride;
    const tempRow = row * outWidth;
    for (let column = 0; column < outWidth; column++) {
      const count = horizontal.counts[column]!;
      const weightBase = column * horizontal.taps;
      let index = rowBase + horizontal.starts[column]! * pixelStride;
      let red = 0;
      let green = 0;
      let blue = 0;
      for (let tap = 0; tap < count; tap++) {
        const weight = horizontal.weights[weightBase + tap]!;
        red += weight * data[index]!;
        green += weight * data[index + secondChannel]!;
        blue += weight * data[index + thirdChannel]!;
        index += pixelStride;
      }
      const destination = tempRow + (target.flipHorizontal ? outWidth - 1 - column : column);
      temp[destination] = red * scale;
      temp[tempPlane + destination] = green * scale;
      temp[2 * tempPlane + destination] = blue * scale;
    }
  }

  const outPlane = outHeight * outWidth;
  const output = target.data;
  for (let channel = 0; channel < 3; channel++) {
    const tempChannel = channel * tempPlane;
    const outChannel = target.offset + channel * outPlane;
    for (let row = 0; row < outHeight; row++) {
      const outRow = outChannel + (target.flipVertical ? outHeight - 1 - row : row) * outWidth;
      const count = vertical.counts[row]!;
      const weightBase = row * vertical.taps;
      const firstInput = tempChannel + vertical.starts[row]! * outWidth;
      // Taps accumulate in registers, one store per output: several times faster than one pass per tap.
      const weights = vertical.weights;
      if (count === 2) {
        const weight0 = weights[weightBase]!;
        const weight1 = weights[weightBase + 1]!;
        const secondInput = firstInput + outWidth;
        for (let column = 0; column < outWidth; column++) {
          output[outRow + column] = weight0 * temp[firstInput + column]! + weight1 * temp[secondInput + column]!;
        }
      } else if (count === 3) {
        const weight0 = weights[weightBase]!;
        const weight1 = weights[weightBase + 1]!;
        const weight2 = weights[weightBase + 2]!;
        const secondInput = firstInput + outWidth;
        const thirdInput = secondInput + outWidth;
        for (let column = 0; column < outWidth; column++) {
          output[outRow + column] = weight0 * temp[firstInput + column]! + weight1 * temp[secondInput + column]! + weight2 * temp[thirdInput + column]!;
        }
      } else {
        for (let column = 0; column < outWidth; column++) {
          let total = 0;
          let input = firstInput + column;
          for (let tap = 0; tap < count; tap++) {
            total += weights[weightBase + tap]! * temp[input]!;
            input += outWidth;
          }
          output[outRow + column] = total;
        }
      }
    }
  }
}
