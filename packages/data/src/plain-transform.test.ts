import { describe, expect, it } from 'vitest';
import { normalize, resizedCrop } from './functional';
import type { RgbImage } from './image';
import { PlainTransform } from './plain-transform';
import { IMAGENET_NORMALIZE } from './view-transform';

function image(width: number, height: number): RgbImage {
  const data = new Uint8Array(width * height * 3).map((_, index) => (index * 37) % 256);
  return { width, height, channels: 3, data };
}

function toFloat(source: RgbImage) {
  const plane = source.width * source.height;
  const data = new Float32Array(3 * plane);
  for (let pixel = 0; pixel < plane; pixel++)
    for (let channel = 0; channel < 3; channel++) data[channel * plane + pixel] = source.data[pixel * 3 + channel]! / 255;
  return { channels: 3, height: source.height, width: source.width, data };
}

describe('PlainTransform', () => {
  it('takes the centred square of cropFraction × the shorter side, resizes it and normalises', () => {
    const source = image(13, 9);
    const view = new PlainTransform({ size: 6, cropFraction: 7 / 9 }).apply(source);
    // side 7; top round(1) = 1; left round(3) = 3.
    const expected = normalize(resizedCrop(toFloat(source), { top: 1, left: 3, height: 7, width: 7 }, [6, 6]), IMAGENET_NORMALIZE.mean, IMAGENET_NORMALIZE.std);
    expect(view.data.length).toBe(expected.data.length);
    view.data.forEach((value, index) => expect(value).toBeCloseTo(expected.data[index]!, 5));
  });

  it('is deterministic and has one view', () => {
    const transform = new PlainTransform({ size: 5, normalize: null });
    expect(transform.viewSizes).toEqual([5]);
    expect(transform.apply(image(8, 8))).toEqual(transform.apply(image(8, 8)));
    for (const value of transform.apply(image(8, 8)).data) {
      expect(value).toBeGreaterThanOrEqual(0);
      expect(value).toBeLessThanOrEqual(1);
    }
  });

  it('rejects bad options', () => {
    expect(() => new PlainTransform({ size: 2.5 })).toThrow(/PlainTransform: invalid argument 'size' = 2.5/);
    expect(() => new PlainTransform({ cropFraction: 0 })).toThrow(/'cropFraction' = 0/);
    expect(() => new PlainTransform({ sizes: 3 } as never)).toThrow(/'sizes' = 3; expected no such option/);
  });
});
