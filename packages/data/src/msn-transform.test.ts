import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { boxBlurInPlace } from './box-blur';
import { InvalidArgumentError } from '@msn/errors';
import { gaussianBlur, hflip, normalize, resizedCrop, rgbToGrayscale, vflip } from './functional';
import type { FloatImage, RgbImage } from './image';
import { MSNTransform, MSN_TRANSFORM_DEFAULTS, type MSNTransformOptions } from './msn-transform';
import { ResizeScratch } from './resize';
import { IMAGENET_NORMALIZE } from './view-transform';
import { msnViewList } from './msn-views';

function randomImage(width: number, height: number, seed: number, channels: 1 | 3 = 3): RgbImage {
  const data = new Uint8Array(width * height * channels);
  let state = seed * 7919 + 17;
  for (let index = 0; index < data.length; index++) {
    state = (state * 1103515245 + 12345) % 2147483648;
    data[index] = state % 256;
  }
  return { width, height, channels, data };
}

/** The 8-bit image as a planar float image in [0, 1] (what ToTensor gives). */
function toFloat(image: RgbImage): FloatImage {
  const plane = image.width * image.height;
  const data = new Float32Array(3 * plane);
  for (let pixel = 0; pixel < plane; pixel++) {
    for (let channel = 0; channel < 3; channel++) {
      data[channel * plane + pixel] = image.data[pixel * image.channels + (image.channels === 1 ? 0 : channel)]! / 255;
    }
  }
  return { channels: 3, height: image.height, width: image.width, data };
}

// Every random operation off and the crop forced to the whole (square) image: only resize + normalize remain.
const IDENTITY: MSNTransformOptions = {
  randomViews: 1,
  focalViews: 0,
  randomSize: 10,
  randomCropScale: [1, 1],
  cropRatio: [1, 1],
  cjProb: 0,
  gaussianBlur: 0,
  randomGrayScale: 0,
  hfProb: 0,
  vfProb: 0,
};

const key = { seed: 3, epoch: 1, index: 42 };

function expectImagesClose(got: FloatImage, want: FloatImage, digits = 5): void {
  expect([got.channels, got.height, got.width]).toEqual([want.channels, want.height, want.width]);
  for (let index = 0; index < want.data.length; index++) expect(got.data[index]).toBeCloseTo(want.data[index]!, digits);
}

describe('MSNTransform', () => {
  it('has the reference defaults (lightly MSNTransform)', () => {
    expect(MSN_TRANSFORM_DEFAULTS).toMatchObject({
      randomSize: 224,
      focalSize: 96,
      randomViews: 2,
      focalViews: 10,
      randomCropScale: [0.3, 1],
      focalCropScale: [0.05, 0.3],
      cjProb: 0.8,
      cjStrength: 1,
      cjBright: 0.8,
      cjContrast: 0.8,
      cjSat: 0.8,
      cjHue: 0.2,
      gaussianBlur: 0.5,
      sigmas: [0.1, 2],
      randomGrayScale: 0.2,
      hfProb: 0.5,
      vfProb: 0,
      normalize: IMAGENET_NORMALIZE,
    });
    expect(new MSNTransform().viewSizes).toEqual([224, 224, ...new Array(10).fill(96)]);
  });

  it('outputs the target, the anchors and the focal views, each 3 × size × size', () => {
    const transform = new MSNTransform({ randomSize: 12, focalSize: 6, randomViews: 3, focalViews: 4 });
    const views = msnViewList(transform.apply(randomImage(20, 15, 1), key));
    expect(views.map((view) => [view.channels, view.height, view.width])).toEqual([...new Array(3).fill([3, 12, 12]), ...new Array(4).fill([3, 6, 6])]);
    for (const view of views) for (const value of view.data) expect(Number.isFinite(value)).toBe(true);
  });

  it('is a pure function of (seed, epoch, index): same key same views, any other key different views', () => {
    const transform = new MSNTransform({ randomSize: 16, focalSize: 8 });
    const image = randomImage(24, 24, 2);
    const first = transform.apply(image, key);
    // A second instance and interleaved calls do not matter.
    const other = new MSNTransform({ randomSize: 16, focalSize: 8 });
    other.apply(image, { ...key, index: 7 });
    expect(other.apply(image, key)).toEqual(first);
    for (const changed of [
      { ...key, seed: 4 },
      { ...key, epoch: 2 },
      { ...key, index: 43 },
    ]) {
      const views = transform.apply(image, changed);
      expect(views.target.data).not.toEqual(first.target.data);
    }
  });

  it('writes the same values at any batch slot', () => {
    const transform = new MSNTransform({ randomSize: 8, focalSize: 4, randomViews: 1, focalViews: 2 });
    const image = randomImage(16, 12, 3);
    const single = transform.apply(image, key);
    const buffers = transform.viewSizes.map((size) => new Float32Array(3 * 3 * size * size));
    transform.applyInto(image, key, buffers, 2);
    msnViewList(single).forEach((view, index) => {
      const size = 3 * view.height * view.width;
      expect(buffers[index]!.subarray(2 * size, 3 * size)).toEqual(view.data);
      expect(buffers[index]!.subarray(0, 2 * size).every((value) => value === 0)).toBe(true);
    });
  });

  it('draws each view from its own stream: the first views do not change when views are added', () => {
    const image = randomImage(30, 30, 4);
    const few = new MSNTransform({ randomSize: 8, focalSize: 4, randomViews: 2, focalViews: 1 }).apply(image, key);
    const many = new MSNTransform({ randomSize: 8, focalSize: 4, randomViews: 2, focalViews: 5 }).apply(image, key);
    expect(msnViewList(many).slice(0, 3)).toEqual(msnViewList(few));
  });

  it('with every random operation off, equals resized_crop of the whole image followed by normalize', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 20 }), fc.integer({ min: 1, max: 16 }), fc.nat(), fc.boolean(), (side, size, seed, gray) => {
        const image = randomImage(side, side, seed, gray ? 1 : 3);
        const view = new MSNTransform({ ...IDENTITY, randomSize: size }).apply(image, key).target;
        const crop = resizedCrop(toFloat(image), { top: 0, left: 0, height: side, width: side }, [size, size]);
        expectImagesClose(view!, normalize(crop, IMAGENET_NORMALIZE.mean, IMAGENET_NORMALIZE.std));
      }),
      { numRuns: 60 },
    );
  });

  it('flips horizontally and vertically with probability 1 (hflip / vflip of the unflipped view)', () => {
    const image = randomImage(9, 9, 5);
    const plain = new MSNTransform({ ...IDENTITY, normalize: null }).apply(image, key).target;
    expectImagesClose(new MSNTransform({ ...IDENTITY, normalize: null, hfProb: 1 }).apply(image, key).target, hflip(plain), 6);
    expectImagesClose(new MSNTransform({ ...IDENTITY, normalize: null, vfProb: 1 }).apply(image, key).target, vflip(plain), 6);
  });

  it('converts to grayscale with probability 1 (rgb_to_grayscale with 3 channels)', () => {
    const image = randomImage(9, 9, 6);
    const plain = new MSNTransform({ ...IDENTITY, normalize: null }).apply(image, key).target;
    const gray = new MSNTransform({ ...IDENTITY, normalize: null, randomGrayScale: 1 }).apply(image, key).target;
    expectImagesClose(gray, rgbToGrayscale(plain, 3), 6);
  });

  it('blurs with probability 1: tensor mode is gaussian_blur, pil mode the box passes, both with σ from `sigmas`', () => {
    const image = randomImage(12, 12, 7);
    const base = { ...IDENTITY, randomSize: 12, normalize: null, gaussianBlur: 1, sigmas: [1.3, 1.3] as [number, number] };
    const plain = new MSNTransform({ ...IDENTITY, randomSize: 12, normalize: null }).apply(image, key).target;
    const tensor = new MSNTransform({ ...base, blurMode: 'tensor', kernelSize: 5 }).apply(image, key).target;
    expectImagesClose(tensor, gaussianBlur(plain, [5, 5], [1.3, 1.3]), 6);
    const derived = new MSNTransform({ ...base, blurMode: 'tensor' }).apply(image, key).target;
    // 2·ceil(3·1.3) + 1 = 9.
    expectImagesClose(derived, gaussianBlur(plain, [9, 9], [1.3, 1.3]), 6);
    const pil = new MSNTransform(base).apply(image, key).target;
    const expected = plain.data.slice();
    boxBlurInPlace(expected, 0, 3, 12, 12, 1.3, new ResizeScratch());
    expectImagesClose(pil, { ...plain, data: expected }, 6);
  });

  it('brightness jitter alone scales every unclamped value by one factor in [1 − s, 1 + s]', () => {
    const image = randomImage(10, 10, 8);
    const options = { ...IDENTITY, normalize: null, cjProb: 1, cjContrast: 0, cjSat: 0, cjHue: 0, cjBright: 0.5 };
    const plain = new MSNTransform({ ...IDENTITY, normalize: null }).apply(image, key).target;
    const factors = new Set<number>();
    for (let index = 0; index < 20; index++) {
      const jittered = new MSNTransform(options).apply(image, { ...key, index }).target;
      const reference = new MSNTransform({ ...IDENTITY, normalize: null }).apply(image, { ...key, index }).target;
      expect(reference).toEqual(plain);
      let factor: number | undefined;
      jittered.data.forEach((value, position) => {
        const original = plain.data[position]!;
        if (value > 0 && value < 1 && original > 0.01) {
          factor ??= value / original;
          expect(value / original).toBeCloseTo(factor, 4);
        }
      });
      expect(factor).toBeGreaterThanOrEqual(0.5);
      expect(factor).toBeLessThanOrEqual(1.5);
      factors.add(Math.round(factor! * 1e4));
    }
    expect(factors.size).toBeGreaterThan(15);
  });

  it('hue jitter alone keeps each pixel’s max and min channel (a rotation in HSV)', () => {
    const image = randomImage(10, 10, 9);
    const options = { ...IDENTITY, normalize: null, cjProb: 1, cjContrast: 0, cjSat: 0, cjBright: 0, cjHue: 0.4 };
    const plain = new MSNTransform({ ...IDENTITY, normalize: null }).apply(image, key).target;
    const plane = 100;
    let changed = 0;
    for (let index = 0; index < 5; index++) {
      const hue = new MSNTransform(options).apply(image, { ...key, index }).target;
      for (let pixel = 0; pixel < plane; pixel++) {
        const before = [0, 1, 2].map((channel) => plain.data[channel * plane + pixel]!);
        const after = [0, 1, 2].map((channel) => hue.data[channel * plane + pixel]!);
        expect(Math.max(...after)).toBeCloseTo(Math.max(...before), 5);
        expect(Math.min(...after)).toBeCloseTo(Math.min(...before), 5);
        if (after.some((value, channel) => Math.abs(value - before[channel]!) > 1e-3)) changed++;
      }
    }
    // Shifts are drawn from U[−0.4, 0.4]: most pixels of most views change.
    expect(changed).toBeGreaterThan(250);
  });

  it('applies grayscale at about its probability', () => {
    const transform = new MSNTransform({ ...IDENTITY, randomViews: 4, randomGrayScale: 0.2, normalize: null });
    const image = randomImage(8, 8, 10);
    let gray = 0;
    let total = 0;
    for (let index = 0; index < 250; index++) {
      for (const view of msnViewList(transform.apply(image, { ...key, index }))) {
        const plane = view.height * view.width;
        total++;
        if (view.data.subarray(0, plane).every((value, pixel) => value === view.data[plane + pixel])) gray++;
      }
    }
    // 1000 views, p = 0.2: standard deviation ≈ 12.6.
    expect(Math.abs(gray - 0.2 * total)).toBeLessThan(60);
  });

  it('rejects unknown options and values out of range, naming them', () => {
    expect(() => new MSNTransform({ focalView: 3 } as MSNTransformOptions)).toThrow(InvalidArgumentError);
    expect(() => new MSNTransform({ focalView: 3 } as MSNTransformOptions)).toThrow(/'focalView' = 3; expected no such option/);
    expect(() => new MSNTransform({ randomSize: 0 })).toThrow(/'randomSize' = 0; expected an integer >= 1/);
    expect(() => new MSNTransform({ randomViews: 0, focalViews: 0 })).toThrow(/at least one view/);
    expect(() => new MSNTransform({ focalCropScale: [0.3, 0.05] })).toThrow(/'focalCropScale' = \[0.3,0.05\]/);
    expect(() => new MSNTransform({ cjProb: 1.5 })).toThrow(/'cjProb' = 1.5; expected a number in \[0, 1\]/);
    expect(() => new MSNTransform({ cjHue: 0.3, cjStrength: 2 })).toThrow(/'cjHue · cjStrength' = 0.6/);
    expect(() => new MSNTransform({ sigmas: [0, 1] })).toThrow(/'sigmas' = \[0,1\]/);
    expect(() => new MSNTransform({ kernelSize: 4 })).toThrow(/'kernelSize' = 4; expected an odd integer or null/);
    expect(() => new MSNTransform({ blurMode: 'box' as 'pil' })).toThrow(/'blurMode' = "box"; expected one of "pil", "tensor"/);
    expect(() => new MSNTransform({ normalize: { mean: [0, 0], std: [1, 1, 1] } })).toThrow(/'normalize.mean' = \[0,0\]/);
  });

  it('rejects malformed images and keys in apply', () => {
    const transform = new MSNTransform({ randomSize: 8, focalSize: 4 });
    expect(() => transform.apply({ width: 2, height: 2, channels: 3, data: new Uint8Array(5) }, key)).toThrow(/MSNTransform.apply: invalid argument 'image'/);
    expect(() => transform.apply(randomImage(4, 4, 1), { ...key, epoch: -1 })).toThrow(/'key.epoch' = -1/);
  });
});
