import { FIXTURE_TOLERANCE, expectClose, readFixtures, type FixtureTensor } from '@msn/test-utils';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '@msn/errors';
import {
  adjustBrightness,
  adjustContrast,
  adjustHue,
  adjustSaturation,
  gaussianBlur,
  hflip,
  normalize,
  resizedCrop,
  rgbToGrayscale,
  vflip,
} from './functional';
import type { FloatImage } from './image';

interface TransformCase {
  name: string;
  op: string;
  params: Record<string, unknown>;
  output: FixtureTensor;
}

interface TransformFile {
  description: string;
  inputs: { image: FixtureTensor };
  cases: TransformCase[];
}

function toImage(tensor: FixtureTensor): FloatImage {
  const [channels, height, width] = tensor.shape as [number, number, number];
  return { channels, height, width, data: Float32Array.from(tensor.data) };
}

/** Runs one fixture case through the public function named by its `op`, with every parameter from the JSON. */
function runCase(image: FloatImage, fixture: TransformCase): FloatImage {
  const params = fixture.params;
  switch (fixture.op) {
    case 'adjust_brightness':
      return adjustBrightness(image, params.brightnessFactor as number);
    case 'adjust_contrast':
      return adjustContrast(image, params.contrastFactor as number);
    case 'adjust_saturation':
      return adjustSaturation(image, params.saturationFactor as number);
    case 'adjust_hue':
      return adjustHue(image, params.hueFactor as number);
    case 'rgb_to_grayscale':
      return rgbToGrayscale(image, params.numOutputChannels as 1 | 3);
    case 'hflip':
      return hflip(image);
    case 'vflip':
      return vflip(image);
    case 'resized_crop': {
      expect(params.interpolation).toBe('bilinear');
      const box = {
        top: params.top as number,
        left: params.left as number,
        height: params.height as number,
        width: params.width as number,
      };
      return resizedCrop(image, box, params.size as [number, number], { antialias: params.antialias as boolean });
    }
    case 'gaussian_blur':
      return gaussianBlur(image, params.kernelSize as [number, number], params.sigma as [number, number]);
    case 'normalize':
      return normalize(image, params.mean as number[], params.std as number[]);
    default:
      throw new Error(`fixture case ${fixture.name}: unknown op '${fixture.op}'`);
  }
}

const fixtureFiles = readFixtures<TransformFile>('transforms').map(({ path, fixture }) => ({ path, file: fixture }));

describe('transform fixtures (torchvision.transforms.functional)', () => {
  it('finds fixture cases', () => {
    expect(fixtureFiles.flatMap(({ file }) => file.cases).length).toBeGreaterThan(0);
  });

  for (const { path, file } of fixtureFiles) {
    for (const fixture of file.cases) {
      it(`${fixture.name} (${fixture.op})`, () => {
        const input = toImage(file.inputs.image);
        const before = input.data.slice();
        const output = runCase(input, fixture);
        expect([output.channels, output.height, output.width]).toEqual(fixture.output.shape);
        if (fixture.op === 'hflip' || fixture.op === 'vflip') {
          // Exact: a flip only moves values.
          expect(Array.from(output.data)).toEqual(fixture.output.data);
        }
        expectClose(output.data, fixture.output.data, { label: `${path} ${fixture.name}`, tolerance: FIXTURE_TOLERANCE });
        // The input belongs to the caller and stays untouched.
        expect(input.data).toEqual(before);
      });
    }
  }
});

describe('functional validation', () => {
  const image: FloatImage = { channels: 3, height: 4, width: 5, data: new Float32Array(60).fill(0.5) };

  it('rejects malformed images, naming the function', () => {
    const broken = { channels: 3, height: 4, width: 5, data: new Float32Array(7) };
    expect(() => adjustBrightness(broken, 1)).toThrow(InvalidArgumentError);
    expect(() => adjustBrightness(broken, 1)).toThrow(/adjustBrightness: invalid argument 'image'/);
    const gray = { channels: 1, height: 4, width: 5, data: new Float32Array(20) };
    expect(() => adjustHue(gray, 0.1)).toThrow(/adjustHue: invalid argument 'image.channels' = 1; expected 3/);
  });

  it('rejects bad factors', () => {
    expect(() => adjustBrightness(image, -1)).toThrow(/'brightnessFactor' = -1; expected a finite number >= 0/);
    expect(() => adjustHue(image, 0.7)).toThrow(/'hueFactor' = 0.7; expected a number in \[-0.5, 0.5\]/);
    expect(() => rgbToGrayscale(image, 2 as 1)).toThrow(/'numOutputChannels' = 2; expected 1 or 3/);
    expect(() => normalize(image, [0, 0, 0], [1, 0, 1])).toThrow(/'std' = \[1,0,1\]/);
  });

  it('rejects crops leaving the image and bad sizes', () => {
    expect(() => resizedCrop(image, { top: 2, left: 0, height: 3, width: 5 }, [2, 2])).toThrow(
      /resizedCrop: invalid argument 'box' = .*; expected a rectangle inside the 4×5 image/,
    );
    expect(() => resizedCrop(image, { top: 0, left: 0, height: 4, width: 5 }, [0, 2])).toThrow(/'size\[0\]' = 0/);
  });

  it('rejects even or oversized blur kernels and non-positive sigma', () => {
    expect(() => gaussianBlur(image, [4, 3], [1, 1])).toThrow(/'kernelSize\[0\]' = 4; expected an odd integer in \[1, 9\]/);
    expect(() => gaussianBlur(image, [3, 9], [1, 1])).toThrow(/'kernelSize\[1\]' = 9; expected an odd integer in \[1, 7\]/);
    expect(() => gaussianBlur(image, [3, 3], [1, 0])).toThrow(/'sigma\[1\]' = 0; expected a finite number > 0/);
  });
});
