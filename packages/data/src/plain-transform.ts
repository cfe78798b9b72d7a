// PlainTransform: one deterministic view (centre crop, resize, normalise) for evaluation and embedding.
import { normalizeInPlace } from './color';
import { assertBoolean, assertInRange, assertInteger, assertOptions } from '@msn/errors';
import { assertRgbImage, type FloatImage, type RgbImage } from './image';
import { roundHalfEven } from './round-half-even';
import { AxisFilterCache, ResizeScratch, resizedCropInto, sourceFromRgbImage } from './resize';
import { assertTriple } from './validate';
import { IMAGENET_NORMALIZE, type AugmentationKey, type NormalizeStats, type TransformSpec, type ViewTransform } from './view-transform';

/** Options of {@link PlainTransform}. */
export interface PlainTransformOptions {
  /** Side of the single square view. @default 224 */
  size?: number;
  /**
   * Side of the centred square crop as a fraction of the shorter image side, taken before resizing
   * (torchvision's Resize(256) + CenterCrop(224) is 224/256 = 0.875). @default 1
   */
  cropFraction?: number;
  /** Per-channel mean/std, or `null` to keep values in [0, 1]. @default IMAGENET_NORMALIZE */
  normalize?: NormalizeStats | null;
  /** PIL-style antialiased resizing. @default true */
  antialias?: boolean;
}

const KNOWN_OPTIONS = ['size', 'cropFraction', 'normalize', 'antialias'] as const;

/**
 * A single, deterministic view: the centred square of `cropFraction` × the shorter side, resized to
 * `size × size` (bilinear, antialiased), normalised. Use it to embed images for evaluation (linear probes,
 * k-NN) with the same layout as the training views.
 *
 * @example
 * const loader = new DataLoader(testSet, { batchSize: 256, transform: new PlainTransform({ size: 32 }) });
 * @throws {InvalidArgumentError} for unknown options or values out of range.
 */
export class PlainTransform implements ViewTransform {
  /** The resolved options (defaults filled in). */
  readonly options: Readonly<Required<PlainTransformOptions>>;
  readonly viewSizes: readonly number[];
  private readonly filters = new AxisFilterCache();
  private readonly scratch = new ResizeScratch();

  constructor(options: PlainTransformOptions = {}) {
    const caller = 'PlainTransform';
    assertOptions(caller, options, KNOWN_OPTIONS, 'an options object');
    const resolved: Required<PlainTransformOptions> = {
      size: options.size ?? 224,
      cropFraction: options.cropFraction ?? 1,
      normalize: options.normalize === undefined ? IMAGENET_NORMALIZE : options.normalize,
      antialias: options.antialias ?? true,
    };
    assertInteger(caller, 'size', resolved.size, 1);
    assertInRange(caller, 'cropFraction', resolved.cropFraction, Number.MIN_VALUE, 1);
    if (resolved.normalize !== null) {
      assertTriple(caller, 'normalize.mean', resolved.normalize.mean, false);
      assertTriple(caller, 'normalize.std', resolved.normalize.std, true);
    }
    assertBoolean(caller, 'antialias', resolved.antialias);
    this.options = resolved;
    this.viewSizes = [resolved.size];
  }

  applyInto(image: RgbImage, _key: AugmentationKey, outputs: readonly Float32Array[], slot: number): void {
    const { size, cropFraction, normalize, antialias } = this.options;
    const side = Math.max(1, roundHalfEven(cropFraction * Math.min(image.height, image.width)));
    // torchvision CenterCrop: offsets round((H − h) / 2) with Python rounding.
    const box = {
      top: roundHalfEven((image.height - side) / 2),
      left: roundHalfEven((image.width - side) / 2),
      height: side,
      width: side,
    };
    const output = outputs[0]!;
    const offset = slot * 3 * size * size;
    resizedCropInto(
      sourceFromRgbImage(image),
      box,
      { data: output, offset, height: size, width: size, flipHorizontal: false, flipVertical: false },
      antialias,
      this.filters,
      this.scratch,
    );
    if (normalize) normalizeInPlace(output, offset, size * size, normalize.mean, normalize.std);
  }

  /**
   * The single view of one image.
   * @throws {InvalidArgumentError} for a malformed image.
   */
  apply(image: RgbImage): FloatImage {
    assertRgbImage('PlainTransform.apply', 'image', image);
    const size = this.options.size;
    const data = new Float32Array(3 * size * size);
    this.applyInto(image, { seed: 0, epoch: 0, index: 0 }, [data], 0);
    return { channels: 3, height: size, width: size, data };
  }

  toSpec(): TransformSpec {
    return { kind: 'plain', options: { ...this.options } as Record<string, unknown> };
  }
}
