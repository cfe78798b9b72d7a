import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '@msn/errors';
import { SHAPE_CLASSES, SyntheticShapes } from './synthetic-shapes';

/** Gradient-magnitude features, unit length: colour-blind, so only shape and position remain. */
function gradientFeatures(dataset: SyntheticShapes, index: number): { features: Float64Array; label: number } {
  const { image, label } = dataset.getSync(index);
  const size = image.width;
  const gray = new Float64Array(size * size);
  for (let pixel = 0; pixel < gray.length; pixel++) {
    gray[pixel] = 0.3 * image.data[3 * pixel]! + 0.59 * image.data[3 * pixel + 1]! + 0.11 * image.data[3 * pixel + 2]!;
  }
  const features = new Float64Array(size * size);
  let norm = 0;
  for (let y = 1; y < size - 1; y++) {
    for (let x = 1; x < size - 1; x++) {
      const value = Math.hypot(gray[y * size + x + 1]! - gray[y * size + x - 1]!, gray[(y + 1) * size + x]! - gray[(y - 1) * size + x]!);
      features[y * size + x] = value;
      norm += value * value;
    }
  }
  return { features: features.map((value) => value / Math.sqrt(norm)), label: label! };
}

describe('SyntheticShapes', () => {
  it('is a pure function of (seed, index) with balanced labels', () => {
    const dataset = new SyntheticShapes({ length: 24, imageSize: 16, seed: 3 });
    expect(dataset.classes).toEqual(SHAPE_CLASSES);
    expect(dataset.getSync(5)).toEqual(new SyntheticShapes({ length: 24, imageSize: 16, seed: 3 }).getSync(5));
    expect(dataset.getSync(5).image.data).not.toEqual(new SyntheticShapes({ length: 24, imageSize: 16, seed: 4 }).getSync(5).image.data);
    expect(Array.from({ length: 24 }, (_, index) => dataset.getSync(index).label)).toEqual(Array.from({ length: 24 }, (_, index) => index % 6));
    const { image } = dataset.getSync(0);
    expect(image).toMatchObject({ width: 16, height: 16, channels: 3 });
    expect(image.data.length).toBe(16 * 16 * 3);
  });

  it('draws the shape in contrast to its background', () => {
    const dataset = new SyntheticShapes({ length: 120, noise: 0 });
    for (let index = 0; index < 120; index++) {
      const { image } = dataset.getSync(index);
      const luminance = (x: number, y: number) => {
        const offset = (y * 32 + x) * 3;
        return (0.2989 * image.data[offset]! + 0.587 * image.data[offset + 1]! + 0.114 * image.data[offset + 2]!) / 255;
      };
      // The background gradient is symmetric about the centre, so the border average is the background's mean
      // luminance; the shape's colour is at least 0.3 away from it and fully covers its own centre pixel.
      let border = 0;
      for (let step = 0; step < 31; step++) border += luminance(step, 0) + luminance(31, step) + luminance(31 - step, 31) + luminance(0, 31 - step);
      border /= 124;
      let farthest = 0;
      for (let y = 0; y < 32; y++) for (let x = 0; x < 32; x++) farthest = Math.max(farthest, Math.abs(luminance(x, y) - border));
      expect(farthest).toBeGreaterThan(0.25);
    }
  });

  it('has learnable classes: 1-nearest-neighbour on colour-blind features beats chance (1/6) by far', () => {
    const dataset = new SyntheticShapes({ length: 600, seed: 11 });
    const samples = Array.from({ length: 600 }, (_, index) => gradientFeatures(dataset, index));
    const train = samples.slice(0, 450);
    const test = samples.slice(450);
    let correct = 0;
    for (const query of test) {
      let best = -Infinity;
      let predicted = -1;
      for (const reference of train) {
        let similarity = 0;
        for (let position = 0; position < query.features.length; position++) similarity += query.features[position]! * reference.features[position]!;
        if (similarity > best) {
          best = similarity;
          predicted = reference.label;
        }
      }
      if (predicted === query.label) correct++;
    }
    expect(correct / test.length).toBeGreaterThan(0.6);
  });

  it('rejects bad options and indices', async () => {
    expect(() => new SyntheticShapes({ imageSize: 4 })).toThrow(InvalidArgumentError);
    expect(() => new SyntheticShapes({ imageSize: 4 })).toThrow(/'imageSize' = 4; expected an integer >= 8/);
    expect(() => new SyntheticShapes({ shapes: ['circle', 'hexagon' as 'circle'] })).toThrow(/'shapes' = \["circle","hexagon"\]/);
    expect(() => new SyntheticShapes({ noise: 2 })).toThrow(/'noise' = 2/);
    expect(() => new SyntheticShapes({ seed: -3 })).toThrow(/'seed' = -3/);
    await expect(new SyntheticShapes({ length: 2 }).get(2)).rejects.toThrow(/SyntheticShapes.get: invalid argument 'index' = 2/);
  });
});
