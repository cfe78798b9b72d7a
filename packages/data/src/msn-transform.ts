// MSNTransform: lightly's multi-view MSN augmentation (random views, then focal views), seeded per sample.
import type * as tf from '@tensorflow/tfjs-core';
import { augmentViewInto, jitterRange, type AugmentScratch, type ViewSettings } from './augment-view';
import { InvalidArgumentError, assertBoolean, assertInRange, assertInteger, assertOneOf, assertOptions, assertProbability } from '@msn/errors';
import { assertRgbImage, type FloatImage, type RgbImage } from './image';
import { CounterRandom, RANDOM_DOMAIN } from '@msn/random';
import { AxisFilterCache, ResizeScratch } from './resize';
import { assertRange, assertTriple } from './validate';
import { IMAGENET_NORMALIZE, assertKey, type AugmentationKey, type NormalizeStats, type TransformSpec, type ViewTransform } from './view-transform';
import { groupMSNViews, type MSNViews } from './msn-views';

/** Options of {@link MSNTransform}; names and defaults are lightly's `MSNTransform` arguments in camelCase. */
export interface MSNTransformOptions {
  /** Side of the random (target and anchor) views. @default 224 */
  randomSize?: number;
  /** Side of the focal views. @default 96 */
  focalSize?: number;
  /** Number of random views; the first is the target, the rest anchors. @default 2 */
  randomViews?: number;
  /** Number of focal views. @default 10 */
  focalViews?: number;
  /** Area fraction range of random-view crops. @default [0.3, 1] */
  randomCropScale?: readonly [number, number];
  /** Area fraction range of focal-view crops. @default [0.05, 0.3] */
  focalCropScale?: readonly [number, number];
  /** Aspect-ratio range of every crop (torchvision's RandomResizedCrop default). @default [3/4, 4/3] */
  cropRatio?: readonly [number, number];
  /** Probability of applying colour jitter. @default 0.8 */
  cjProb?: number;
  /** Multiplies all four jitter strengths. @default 1 */
  cjStrength?: number;
  /** Brightness jitter strength: factor ~ U[max(0, 1 − s), 1 + s]. @default 0.8 */
  cjBright?: number;
  /** Contrast jitter strength. @default 0.8 */
  cjContrast?: number;
  /** Saturation jitter strength. @default 0.8 */
  cjSat?: number;
  /** Hue jitter strength: shift ~ U[−s, s] turns, s ≤ 0.5. @default 0.2 */
  cjHue?: number;
  /** Probability of Gaussian blur. @default 0.5 */
  gaussianBlur?: number;
  /** Range of the blur's standard deviation σ, in pixels of the view. @default [0.1, 2] */
  sigmas?: readonly [number, number];
  /**
   * How the blur is computed, both with standard deviation σ in pixels of the view:
   * - `pil`: what the reference does (lightly calls PIL's `ImageFilter.GaussianBlur(radius = σ)`): three
   *   extended box passes per axis with total variance σ², edge pixels repeated; cost independent of σ.
   * - `tensor`: torchvision's tensor `gaussian_blur` (sampled Gaussian kernel, reflect padding), the
   *   operation the `transforms/` fixtures pin down; kernel size from `kernelSize`.
   * @default 'pil'
   */
  blurMode?: 'pil' | 'tensor';
  /**
   * `tensor` mode only: fixed odd kernel size, or `null` for 2·ceil(3σ) + 1. Either way it is capped at
   * 2·side − 1 (reflect padding). @default null
   */
  kernelSize?: number | null;
  /** Probability of converting to grayscale (kept as 3 equal channels). @default 0.2 */
  randomGrayScale?: number;
  /** Probability of a horizontal flip. @default 0.5 */
  hfProb?: number;
  /** Probability of a vertical flip. @default 0 */
  vfProb?: number;
  /** Per-channel mean/std applied last, or `null` to keep values in [0, 1]. @default IMAGENET_NORMALIZE */
  normalize?: NormalizeStats | null;
  /** PIL-style antialiased resizing (the reference resizes PIL images, which always antialias). @default true */
  antialias?: boolean;
}

const KNOWN_OPTIONS = [
  'randomSize',
  'focalSize',
  'randomViews',
  'focalViews',
  'randomCropScale',
  'focalCropScale',
  'cropRatio',
  'cjProb',
  'cjStrength',
  'cjBright',
  'cjContrast',
  'cjSat',
  'cjHue',
  'gaussianBlur',
  'sigmas',
  'blurMode',
  'kernelSize',
  'randomGrayScale',
  'hfProb',
  'vfProb',
  'normalize',
  'antialias',
] as const;

/** The reference defaults (lightly `MSNTransform`). */
export const MSN_TRANSFORM_DEFAULTS: Readonly<Required<MSNTransformOptions>> = {
  randomSize: 224,
  focalSize: 96,
  randomViews: 2,
  focalViews: 10,
  randomCropScale: [0.3, 1],
  focalCropScale: [0.05, 0.3],
  cropRatio: [3 / 4, 4 / 3],
  cjProb: 0.8,
  cjStrength: 1,
  cjBright: 0.8,
  cjContrast: 0.8,
  cjSat: 0.8,
  cjHue: 0.2,
  gaussianBlur: 0.5,
  sigmas: [0.1, 2],
  blurMode: 'pil',
  kernelSize: null,
  randomGrayScale: 0.2,
  hfProb: 0.5,
  vfProb: 0,
  normalize: IMAGENET_NORMALIZE,
  antialias: true,
};

function resolve(options: MSNTransformOptions): Required<MSNTransformOptions> {
  const caller = 'MSNTransform';
  assertOptions(caller, options, KNOWN_OPTIONS, 'an options object');
  const defined = Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined));
  const resolved = { ...MSN_TRANSFORM_DEFAULTS, ...defined } as Required<MSNTransformOptions>;
  assertInteger(caller, 'randomSize', resolved.randomSize, 1);
  assertInteger(caller, 'focalSize', resolved.focalSize, 1);
  assertInteger(caller, 'randomViews', resolved.randomViews, 0);
  assertInteger(caller, 'focalViews', resolved.focalViews, 0);
  if (resolved.randomViews + resolved.focalViews === 0) {
    throw new InvalidArgumentError({
      caller,
      argument: 'randomViews + focalViews',
      value: 0,
      expected: 'at least one view',
    });
  }
  assertRange(caller, 'randomCropScale', resolved.randomCropScale, Number.MIN_VALUE, 1);
  assertRange(caller, 'focalCropScale', resolved.focalCropScale, Number.MIN_VALUE, 1);
  assertRange(caller, 'cropRatio', resolved.cropRatio, Number.MIN_VALUE, Number.MAX_VALUE);
  assertProbability(caller, 'cjProb', resolved.cjProb);
  assertInRange(caller, 'cjStrength', resolved.cjStrength, 0, Number.MAX_VALUE);
  assertInRange(caller, 'cjBright', resolved.cjBright, 0, Number.MAX_VALUE);
  assertInRange(caller, 'cjContrast', resolved.cjContrast, 0, Number.MAX_VALUE);
  assertInRange(caller, 'cjSat', resolved.cjSat, 0, Number.MAX_VALUE);
  assertInRange(caller, 'cjHue', resolved.cjHue, 0, 0.5);
  if (resolved.cjHue * resolved.cjStrength > 0.5) {
    throw new InvalidArgumentError({
      caller,
      argument: 'cjHue · cjStrength',
      value: resolved.cjHue * resolved.cjStrength,
      expected: 'at most 0.5 (a hue shift is a fraction of a turn in [−0.5, 0.5])',
    });
  }
  assertProbability(caller, 'gaussianBlur', resolved.gaussianBlur);
  assertRange(caller, 'sigmas', resolved.sigmas, Number.MIN_VALUE, Number.MAX_VALUE);
  assertOneOf(caller, 'blurMode', resolved.blurMode, ['pil', 'tensor'] as const);
  if (resolved.kernelSize !== null) {
    assertInteger(caller, 'kernelSize', resolved.kernelSize, 1);
    if (resolved.kernelSize % 2 === 0) {
      throw new InvalidArgumentError({ caller, argument: 'kernelSize', value: resolved.kernelSize, expected: 'an odd integer or null' });
    }
  }
  assertProbability(caller, 'randomGrayScale', resolved.randomGrayScale);
  assertProbability(caller, 'hfProb', resolved.hfProb);
  assertProbability(caller, 'vfProb', resolved.vfProb);
  if (resolved.normalize !== null) {
    if (typeof resolved.normalize !== 'object') {
      throw new InvalidArgumentError({ caller, argument: 'normalize', value: resolved.normalize, expected: '{ mean, std } or null' });
    }
    assertTriple(caller, 'normalize.mean', resolved.normalize.mean, false);
    assertTriple(caller, 'normalize.std', resolved.normalize.std, true);
  }
  assertBoolean(caller, 'antialias', resolved.antialias);
  return resolved;
}

function viewSettings(options: Required<MSNTransformOptions>, size: number, cropScale: readonly [number, number]): ViewSettings {
  const strength = options.cjStrength;
  const hue = strength * options.cjHue;
  return {
    size,
    cropScale,
    cropRatio: options.cropRatio,
    hfProb: options.hfProb,
    vfProb: options.vfProb,
    cjProb: options.cjProb,
    brightness: jitterRange(strength * options.cjBright),
    contrast: jitterRange(strength * options.cjContrast),
    saturation: jitterRange(strength * options.cjSat),
    hue: hue === 0 ? null : [-hue, hue],
    grayscaleProb: options.randomGrayScale,
    blurProb: options.gaussianBlur,
    sigmas: options.sigmas,
    blurMode: options.blurMode,
    kernelSize: options.kernelSize,
    normalize: options.normalize,
    antialias: options.antialias,
  };
}

/**
 * The MSN multi-view augmentation (lightly `MSNTransform`): `randomViews` views of `randomSize` (crop scale
 * `randomCropScale`) followed by `focalViews` views of `focalSize` (`focalCropScale`). Each view is
 * RandomResizedCrop → horizontal flip → vertical flip → ColorJitter (random order, with probability cjProb) →
 * RandomGrayscale → Gaussian blur → normalize, with torchvision's tensor semantics for the crop, flips,
 * colour and normalisation, and PIL's blur (see `blurMode`). Values stay float32 between steps, where the
 * reference's PIL pipeline rounds to 8 bits after each one. The jitter strengths apply to every view (lightly
 * passes `cj_bright`… to its random views only, so its focal views keep the defaults).
 *
 * View v of the sample with dataset index i in epoch e uses the random stream keyed by (seed, e, i, v):
 * the views are a pure function of (seed, epoch, index) and independent of batch composition, worker count
 * or rank.
 *
 * @example
 * const transform = new MSNTransform({ randomSize: 32, focalSize: 16 });
 * const { target, anchors, focal } = transform.apply(image, { seed: 0, epoch: 0, index: 7 }); // 1 + 1 + 10 FloatImages
 * @throws {InvalidArgumentError} for unknown options or values out of range.
 */
export class MSNTransform implements ViewTransform<MSNViews<tf.Tensor4D>> {
  /** The resolved options (defaults filled in). */
  readonly options: Readonly<Required<MSNTransformOptions>>;
  readonly viewSizes: readonly number[];
  private readonly settings: readonly ViewSettings[];
  private readonly scratch: AugmentScratch = {
    filters: new AxisFilterCache(),
    resize: new ResizeScratch(),
    blur: new ResizeScratch(),
    order: [0, 1, 2, 3],
  };

  constructor(options: MSNTransformOptions = {}) {
    this.options = resolve(options);
    const random = viewSettings(this.options, this.options.randomSize, this.options.randomCropScale);
    const focal = viewSettings(this.options, this.options.focalSize, this.options.focalCropScale);
    this.settings = [...new Array<ViewSettings>(this.options.randomViews).fill(random), ...new Array<ViewSettings>(this.options.focalViews).fill(focal)];
    this.viewSizes = this.settings.map((view) => view.size);
  }

  applyInto(image: RgbImage, key: AugmentationKey, outputs: readonly Float32Array[], slot: number): void {
    const stream = CounterRandom.fromKey([RANDOM_DOMAIN.augment, key.seed, key.epoch, key.index]);
    for (let view = 0; view < this.settings.length; view++) {
      const settings = this.settings[view]!;
      const offset = slot * 3 * settings.size * settings.size;
      augmentViewInto(image, settings, stream.fork(view), outputs[view]!, offset, this.scratch);
    }
  }

  /**
   * All views of one image as separate planar images, by role.
   * @throws {InvalidArgumentError} for a malformed image or key.
   */
  apply(image: RgbImage, key: AugmentationKey): MSNViews<FloatImage> {
    assertRgbImage('MSNTransform.apply', 'image', image);
    assertKey('MSNTransform.apply', key);
    const outputs = this.viewSizes.map((size) => new Float32Array(3 * size * size));
    this.applyInto(image, key, outputs, 0);
    const images = outputs.map((data, view) => ({ channels: 3, height: this.viewSizes[view]!, width: this.viewSizes[view]!, data }));
    return groupMSNViews(images, this.options.randomViews);
  }

  /** A batch's view tensors (in `viewSizes` order) by role. */
  groupBatch(views: tf.Tensor4D[]): MSNViews<tf.Tensor4D> {
    return groupMSNViews(views, this.options.randomViews);
  }

  toSpec(): TransformSpec {
    return { kind: 'msn', options: { ...this.options } as Record<string, unknown> };
  }
}
