// Deterministic image operations on planar float images, mirroring torchvision.transforms.functional (tensors).
import { brightnessInPlace, contrastInPlace, grayscaleInPlace, grayscalePlane, hueInPlace, normalizeInPlace, saturationInPlace } from './color';
import { InvalidArgumentError, assertInRange, assertInteger } from '@msn/errors';
import { gaussianBlurInPlace, gaussianKernel1d, largestKernel } from './gaussian-blur';
import { assertFloatImage, type FloatImage } from './image';
import { AxisFilterCache, ResizeScratch, resizedCropInto, sourceFromFloatImage, type CropBox } from './resize';
import { assertTriple } from './validate';

function assertRgb(caller: string, image: FloatImage): void {
  assertFloatImage(caller, 'image', image);
  if (image.channels !== 3) {
    throw new InvalidArgumentError({ caller, argument: 'image.channels', value: image.channels, expected: '3 (RGB)' });
  }
}

function copy(image: FloatImage): FloatImage {
  return { channels: image.channels, height: image.height, width: image.width, data: image.data.slice() };
}

function assertFactor(caller: string, argument: string, value: number): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new InvalidArgumentError({ caller, argument, value, expected: 'a finite number >= 0' });
  }
}

/**
 * Brightness: clamp(f·x, 0, 1) (torchvision `adjust_brightness`).
 * @example const brighter = adjustBrightness(image, 1.3);
 * @throws {InvalidArgumentError} for a non-RGB image or a negative factor.
 */
export function adjustBrightness(image: FloatImage, brightnessFactor: number): FloatImage {
  return adjustedCopy('adjustBrightness', 'brightnessFactor', image, brightnessFactor, brightnessInPlace);
}

/**
 * Contrast: clamp(f·x + (1 − f)·μ, 0, 1) with μ the mean of gray(x) over the image (torchvision `adjust_contrast`).
 * @example const flatter = adjustContrast(image, 0.7);
 * @throws {InvalidArgumentError} for a non-RGB image or a negative factor.
 */
export function adjustContrast(image: FloatImage, contrastFactor: number): FloatImage {
  return adjustedCopy('adjustContrast', 'contrastFactor', image, contrastFactor, contrastInPlace);
}

/**
 * Saturation: clamp(f·x + (1 − f)·gray(x), 0, 1) (torchvision `adjust_saturation`).
 * @example const vivid = adjustSaturation(image, 1.5);
 * @throws {InvalidArgumentError} for a non-RGB image or a negative factor.
 */
export function adjustSaturation(image: FloatImage, saturationFactor: number): FloatImage {
  return adjustedCopy('adjustSaturation', 'saturationFactor', image, saturationFactor, saturationInPlace);
}

/** A copy of `image` with one factor adjustment applied to every pixel, after the checks the three share. */
function adjustedCopy(
  caller: string,
  argument: string,
  image: FloatImage,
  factor: number,
  adjustInPlace: (data: Float32Array, offset: number, plane: number, factor: number) => void,
): FloatImage {
  assertRgb(caller, image);
  assertFactor(caller, argument, factor);
  const result = copy(image);
  adjustInPlace(result.data, 0, image.height * image.width, factor);
  return result;
}

/**
 * Hue rotation in HSV by `hueFactor` turns (torchvision `adjust_hue`).
 * @example const shifted = adjustHue(image, 0.1);
 * @throws {InvalidArgumentError} for a non-RGB image or a factor outside [−0.5, 0.5].
 */
export function adjustHue(image: FloatImage, hueFactor: number): FloatImage {
  assertRgb('adjustHue', image);
  assertInRange('adjustHue', 'hueFactor', hueFactor, -0.5, 0.5);
  const result = copy(image);
  hueInPlace(result.data, 0, image.height * image.width, hueFactor);
  return result;
}

/**
 * gray(x) = 0.2989·R + 0.587·G + 0.114·B, as 1 channel or repeated over 3 (torchvision `rgb_to_grayscale`).
 * @example const gray = rgbToGrayscale(image, 3);
 * @throws {InvalidArgumentError} for a non-RGB image or a channel count other than 1 or 3.
 */
export function rgbToGrayscale(image: FloatImage, numOutputChannels: 1 | 3 = 1): FloatImage {
  assertRgb('rgbToGrayscale', image);
  if (numOutputChannels !== 1 && numOutputChannels !== 3) {
    throw new InvalidArgumentError({
      caller: 'rgbToGrayscale',
      argument: 'numOutputChannels',
      value: numOutputChannels,
      expected: '1 or 3',
    });
  }
  const plane = image.height * image.width;
  if (numOutputChannels === 3) {
    const result = copy(image);
    grayscaleInPlace(result.data, 0, plane);
    return result;
  }
  const data = new Float32Array(plane);
  grayscalePlane(image.data, 0, plane, data);
  return { channels: 1, height: image.height, width: image.width, data };
}

/** Mirrors the width axis (torchvision `hflip`); any channel count. */
export function hflip(image: FloatImage): FloatImage {
  assertFloatImage('hflip', 'image', image);
  const { width } = image;
  const result = copy(image);
  for (let row = 0; row < image.channels * image.height; row++) {
    const base = row * width;
    for (let column = 0; column < width; column++) result.data[base + column] = image.data[base + width - 1 - column]!;
  }
  return result;
}

/** Mirrors the height axis (torchvision `vflip`); any channel count. */
export function vflip(image: FloatImage): FloatImage {
  assertFloatImage('vflip', 'image', image);
  const { width, height } = image;
  const result = copy(image);
  for (let channel = 0; channel < image.channels; channel++) {
    for (let row = 0; row < height; row++) {
      const from = (channel * height + height - 1 - row) * width;
      result.data.set(image.data.subarray(from, from + width), (channel * height + row) * width);
    }
  }
  return result;
}

/** Options of {@link resizedCrop}. */
export interface ResizedCropOptions {
  /**
   * PIL-style antialiasing (triangle filter widened when downsampling). PIL, which the reference applies to
   * its images, always antialiases; on an upsampled axis both settings agree.
   * @default true
   */
  antialias?: boolean;
}

/**
 * Crops rows [top, top + height) and columns [left, left + width) and resizes them bilinearly to
 * `size = [outHeight, outWidth]` (torchvision `resized_crop`, `interpolation = "bilinear"`), RGB or grayscale
 * input, RGB output.
 * @example const patch = resizedCrop(image, { top: 2, left: 1, height: 9, width: 10 }, [8, 8]);
 * @throws {InvalidArgumentError} when the box leaves the image or a size is not a positive integer.
 */
export function resizedCrop(image: FloatImage, box: CropBox, size: readonly [number, number], options: ResizedCropOptions = {}): FloatImage {
  const caller = 'resizedCrop';
  assertFloatImage(caller, 'image', image);
  if (image.channels !== 1 && image.channels !== 3) {
    throw new InvalidArgumentError({ caller, argument: 'image.channels', value: image.channels, expected: '1 or 3' });
  }
  assertInteger(caller, 'box.top', box.top, 0);
  assertInteger(caller, 'box.left', box.left, 0);
  assertInteger(caller, 'box.height', box.height, 1);
  assertInteger(caller, 'box.width', box.width, 1);
  if (box.top + box.height > image.height || box.left + box.width > image.width) {
    throw new InvalidArgumentError({
      caller,
      argument: 'box',
      value: JSON.stringify(box),
      expected: `a rectangle inside the ${image.height}×${image.width} image`,
    });
  }
  if (!Array.isArray(size) || size.length !== 2) {
    throw new InvalidArgumentError({ caller, argument: 'size', value: size, expected: 'a pair [height, width]' });
  }
  assertInteger(caller, 'size[0]', size[0], 1);
  assertInteger(caller, 'size[1]', size[1], 1);
  const [height, width] = size;
  const data = new Float32Array(3 * height * width);
  resizedCropInto(
    sourceFromFloatImage(image),
    box,
    { data, offset: 0, height, width, flipHorizontal: false, flipVertical: false },
    options.antialias ?? true,
    new AxisFilterCache(),
    new ResizeScratch(),
  );
  return { channels: 3, height, width, data };
}

/**
 * Gaussian blur with torchvision's tensor semantics: 1-D weights exp(−offset²/(2σ²)) normalised, kernel
 * outer(height weights, width weights), reflect padding, correlation. `kernelSize = [kx, ky]` and
 * `sigma = [σx, σy]`: the first entries act along the width.
 * @example const soft = gaussianBlur(image, [5, 5], [1.2, 1.2]);
 * @throws {InvalidArgumentError} for even or too large kernel sizes (reflect padding needs k ≤ 2·side − 1) or σ <= 0.
 */
export function gaussianBlur(image: FloatImage, kernelSize: readonly [number, number], sigma: readonly [number, number]): FloatImage {
  const caller = 'gaussianBlur';
  assertFloatImage(caller, 'image', image);
  const limits = [largestKernel(image.width), largestKernel(image.height)];
  for (let axis = 0; axis < 2; axis++) {
    const size = kernelSize[axis];
    if (typeof size !== 'number' || !Number.isInteger(size) || size < 1 || size % 2 === 0 || size > limits[axis]!) {
      throw new InvalidArgumentError({
        caller,
        argument: `kernelSize[${axis}]`,
        value: size,
        expected: `an odd integer in [1, ${limits[axis]}] (reflect padding must be smaller than the image side)`,
      });
    }
    const deviation = sigma[axis];
    if (typeof deviation !== 'number' || !Number.isFinite(deviation) || deviation <= 0) {
      throw new InvalidArgumentError({ caller, argument: `sigma[${axis}]`, value: deviation, expected: 'a finite number > 0' });
    }
  }
  const result = copy(image);
  gaussianBlurInPlace(
    result.data,
    0,
    image.channels,
    image.height,
    image.width,
    gaussianKernel1d(kernelSize[0], sigma[0]),
    gaussianKernel1d(kernelSize[1], sigma[1]),
    new ResizeScratch(),
  );
  return result;
}

/**
 * Per-channel standardisation (x − mean_c) / std_c (torchvision `normalize`).
 * @example const input = normalize(image, IMAGENET_NORMALIZE.mean, IMAGENET_NORMALIZE.std);
 * @throws {InvalidArgumentError} for a non-RGB image, or `mean`/`std` that are not 3 finite numbers (std > 0).
 */
export function normalize(image: FloatImage, mean: readonly number[], std: readonly number[]): FloatImage {
  assertRgb('normalize', image);
  assertTriple('normalize', 'mean', mean, false);
  assertTriple('normalize', 'std', std, true);
  const result = copy(image);
  normalizeInPlace(result.data, 0, image.height * image.width, mean, std);
  return result;
}
