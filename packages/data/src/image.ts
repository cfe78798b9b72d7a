// The two image representations: decoded 8-bit interleaved images (datasets) and planar float images (transforms).
import { InvalidArgumentError } from '@msn/errors';

/**
 * A decoded image as datasets return it: 8-bit values, interleaved rows (HWC, `data[(y·width + x)·channels + c]`).
 * `channels` is 3 (RGB) or 1 (grayscale, treated as R = G = B by every transform, which always outputs RGB:
 * keeping grayscale datasets at one channel saves two thirds of the memory and of the worker transfers).
 */
export interface RgbImage {
  width: number;
  height: number;
  channels: 1 | 3;
  data: Uint8Array;
}

/**
 * A planar float image (CHW, `data[(c·height + y)·width + x]`), the layout of one item of an NCHW batch.
 * Transforms produce values in [0, 1] before normalisation.
 */
export interface FloatImage {
  channels: number;
  height: number;
  width: number;
  data: Float32Array;
}

/** One item of a dataset: an image and, for labelled datasets, its class index. */
export interface Sample {
  image: RgbImage;
  label?: number;
}

/** Throws unless `image` is a well-formed {@link RgbImage}. */
export function assertRgbImage(caller: string, argument: string, image: RgbImage): void {
  const valid =
    typeof image === 'object' &&
    image !== null &&
    Number.isInteger(image.width) &&
    image.width > 0 &&
    Number.isInteger(image.height) &&
    image.height > 0 &&
    (image.channels === 1 || image.channels === 3) &&
    image.data instanceof Uint8Array &&
    image.data.length === image.width * image.height * image.channels;
  if (!valid) {
    const summary =
      typeof image === 'object' && image !== null
        ? `{width: ${image.width}, height: ${image.height}, channels: ${image.channels}, data length: ${(image.data as Uint8Array | undefined)?.length}}`
        : String(image);
    throw new InvalidArgumentError({
      caller,
      argument,
      value: summary,
      expected: 'an RgbImage {width, height, channels: 1 | 3, data: Uint8Array of width·height·channels}',
    });
  }
}

/** Throws unless `image` is a well-formed {@link FloatImage}. */
export function assertFloatImage(caller: string, argument: string, image: FloatImage): void {
  const valid =
    typeof image === 'object' &&
    image !== null &&
    Number.isInteger(image.width) &&
    image.width > 0 &&
    Number.isInteger(image.height) &&
    image.height > 0 &&
    Number.isInteger(image.channels) &&
    image.channels > 0 &&
    image.data instanceof Float32Array &&
    image.data.length === image.width * image.height * image.channels;
  if (!valid) {
    throw new InvalidArgumentError({
      caller,
      argument,
      value: typeof image === 'object' && image !== null ? `{channels: ${image.channels}, height: ${image.height}, width: ${image.width}}` : String(image),
      expected: 'a FloatImage {channels, height, width, data: Float32Array of channels·height·width}',
    });
  }
}
