// One augmented view: lightly's MSNViewTransform (crop, flips, colour jitter, grayscale, blur, normalise).
import { boxBlurInPlace } from './box-blur';
import { brightnessInPlace, contrastInPlace, grayscaleInPlace, hueInPlace, normalizeInPlace, saturationInPlace } from './color';
import { gaussianBlurInPlace, gaussianKernel1d, kernelSizeForSigma, largestKernel } from './gaussian-blur';
import type { RgbImage } from './image';
import type { CounterRandom } from '@msn/random';
import { randomResizedCropBox } from './random-resized-crop';
import { resizedCropInto, sourceFromRgbImage, type AxisFilterCache, type ResizeScratch } from './resize';

/** Fully resolved settings of one kind of view (random or focal). */
export interface ViewSettings {
  size: number;
  cropScale: readonly [number, number];
  cropRatio: readonly [number, number];
  hfProb: number;
  vfProb: number;
  cjProb: number;
  /** ColorJitter ranges; `null` disables that adjustment (torchvision: a strength of 0). */
  brightness: readonly [number, number] | null;
  contrast: readonly [number, number] | null;
  saturation: readonly [number, number] | null;
  hue: readonly [number, number] | null;
  grayscaleProb: number;
  blurProb: number;
  sigmas: readonly [number, number];
  /** `pil`: PIL's box-pass blur (the reference's); `tensor`: torchvision's tensor Gaussian kernel. */
  blurMode: 'pil' | 'tensor';
  /** Fixed odd kernel size (tensor mode), or null to derive it from σ (see {@link kernelSizeForSigma}). */
  kernelSize: number | null;
  normalize: { mean: readonly number[]; std: readonly number[] } | null;
  antialias: boolean;
}

/** Reused buffers and caches of one transform instance (one per thread). */
export interface AugmentScratch {
  filters: AxisFilterCache;
  resize: ResizeScratch;
  blur: ResizeScratch;
  order: number[];
}

/** torchvision ColorJitter factor range for a strength s: [max(0, 1 − s), 1 + s], none for s = 0. */
export function jitterRange(strength: number): readonly [number, number] | null {
  return strength === 0 ? null : [Math.max(0, 1 - strength), 1 + strength];
}

/**
 * Writes one view of `image` (3 × size × size, CHW) at `offset` of `output`. Randomness is drawn in
 * torchvision's order, and every draw is made even when its probability is 0 or 1, so changing one
 * probability never shifts the draws of the later operations.
 */
export function augmentViewInto(
  image: RgbImage,
  settings: ViewSettings,
  random: CounterRandom,
  output: Float32Array,
  offset: number,
  scratch: AugmentScratch,
): void {
  const size = settings.size;
  const plane = size * size;
  const box = randomResizedCropBox(image.height, image.width, settings.cropScale, settings.cropRatio, random);
  // RandomHorizontalFlip / RandomVerticalFlip: flip when rand < p; folded into the resize (flips commute with it).
  const flipHorizontal = random.next() < settings.hfProb;
  const flipVertical = random.next() < settings.vfProb;
  resizedCropInto(
    sourceFromRgbImage(image),
    box,
    { data: output, offset, height: size, width: size, flipHorizontal, flipVertical },
    settings.antialias,
    scratch.filters,
    scratch.resize,
  );

  // RandomApply([ColorJitter], p): skipped when p < rand. Inside: a random order of the four adjustments,
  // then one factor per adjustment (ColorJitter.get_params).
  const applyJitter = !(settings.cjProb < random.next());
  const order = scratch.order;
  for (let position = 0; position < 4; position++) order[position] = position;
  for (let position = 3; position > 0; position--) {
    const other = random.integer(position + 1);
    const swap = order[position]!;
    order[position] = order[other]!;
    order[other] = swap;
  }
  const brightness = settings.brightness ? random.uniform(settings.brightness[0], settings.brightness[1]) : 1;
  const contrast = settings.contrast ? random.uniform(settings.contrast[0], settings.contrast[1]) : 1;
  const saturation = settings.saturation ? random.uniform(settings.saturation[0], settings.saturation[1]) : 1;
  const hue = settings.hue ? random.uniform(settings.hue[0], settings.hue[1]) : 0;
  if (applyJitter) {
    for (const operation of order) {
      if (operation === 0 && settings.brightness) brightnessInPlace(output, offset, plane, brightness);
      else if (operation === 1 && settings.contrast) contrastInPlace(output, offset, plane, contrast);
      else if (operation === 2 && settings.saturation) saturationInPlace(output, offset, plane, saturation);
      else if (operation === 3 && settings.hue) hueInPlace(output, offset, plane, hue);
    }
  }

  if (random.next() < settings.grayscaleProb) grayscaleInPlace(output, offset, plane);

  // lightly's GaussianBlur: blur when rand < p, σ ~ U(sigmas), in pixels of the view (PIL radius = σ).
  const blurDraw = random.next();
  const sigma = random.uniform(settings.sigmas[0], settings.sigmas[1]);
  if (blurDraw < settings.blurProb && settings.blurMode === 'pil') {
    boxBlurInPlace(output, offset, 3, size, size, sigma, scratch.blur);
  } else if (blurDraw < settings.blurProb) {
    const kernelSize = settings.kernelSize === null ? kernelSizeForSigma(sigma, size) : Math.min(settings.kernelSize, largestKernel(size));
    const weights = gaussianKernel1d(kernelSize, sigma);
    gaussianBlurInPlace(output, offset, 3, size, size, weights, weights, scratch.blur);
  }

  if (settings.normalize) normalizeInPlace(output, offset, plane, settings.normalize.mean, settings.normalize.std);
}
