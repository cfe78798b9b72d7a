// SyntheticShapes: a procedurally generated, labelled, seeded dataset of shapes that needs no files.
import { InvalidArgumentError } from './errors';
import { assertIndex, type DatasetSource, type ImageDataset } from './image-dataset';
import type { Sample } from './image';
import { CounterRandom, RANDOM_DOMAIN } from './random';
import { assertInteger, assertKnownKeys, assertNumberInRange } from './validate';

/** The shape classes SyntheticShapes can draw, default label order. */
export const SHAPE_CLASSES = ['circle', 'square', 'triangle', 'cross', 'ring', 'diamond'] as const;

/** One shape class. */
export type ShapeClass = (typeof SHAPE_CLASSES)[number];

/** Options of {@link SyntheticShapes}. */
export interface SyntheticShapesOptions {
  /** Number of samples. @default 1024 */
  length?: number;
  /** Side of the square images, ≥ 8. @default 32 */
  imageSize?: number;
  /** Seed: sample i is a pure function of (seed, i). @default 0 */
  seed?: number;
  /** Classes to draw, label = position in this list; sample i has label i mod classes.length. @default SHAPE_CLASSES */
  shapes?: readonly ShapeClass[];
  /** Amplitude of uniform per-pixel noise, in [0, 1] intensity units. @default 0.03 */
  noise?: number;
}

const SQRT3 = Math.sqrt(3);
const SUBSAMPLES = 3;

// Membership tests in the shape's own frame, coordinates in units of the shape radius, v pointing up.
const INSIDE: Record<ShapeClass, (u: number, v: number) => boolean> = {
  circle: (u, v) => u * u + v * v <= 0.85 * 0.85,
  square: (u, v) => Math.abs(u) <= 0.75 && Math.abs(v) <= 0.75,
  triangle: (u, v) => v >= -0.55 && v <= 1.1 - SQRT3 * Math.abs(u),
  cross: (u, v) => (Math.abs(u) <= 0.28 && Math.abs(v) <= 0.95) || (Math.abs(v) <= 0.28 && Math.abs(u) <= 0.95),
  ring: (u, v) => {
    const radius = u * u + v * v;
    return radius >= 0.55 * 0.55 && radius <= 0.95 * 0.95;
  },
  diamond: (u, v) => Math.abs(u) + Math.abs(v) <= 1.05,
};

function luminance(red: number, green: number, blue: number): number {
  return 0.2989 * red + 0.587 * green + 0.114 * blue;
}

/**
 * Coloured shapes on gradient backgrounds: the class is the shape (circle, square, triangle, cross, ring,
 * diamond); colours, position (centre within the middle 30 % of each axis), size (radius 22–34 % of the side),
 * rotation (±15°), background gradient and noise vary per sample. Colour carries no class information and
 * the shape's luminance is always at least 0.3 away from the background's mean, so a model has to learn
 * shape: what makes it a useful label-efficiency benchmark. Classes are balanced (label = index mod number of classes).
 *
 * @example
 * const shapes = new SyntheticShapes({ length: 512, imageSize: 32, seed: 1 });
 * const { image, label } = shapes.getSync(3);   // label 3 = 'cross'
 * @throws {InvalidArgumentError} for bad options.
 */
export class SyntheticShapes implements ImageDataset {
  readonly length: number;
  readonly classes: readonly ShapeClass[];
  readonly imageSize: number;
  readonly seed: number;
  readonly noise: number;

  constructor(options: SyntheticShapesOptions = {}) {
    const caller = 'SyntheticShapes';
    assertKnownKeys(caller, options, ['length', 'imageSize', 'seed', 'shapes', 'noise']);
    const { length = 1024, imageSize = 32, seed = 0, shapes = SHAPE_CLASSES, noise = 0.03 } = options;
    assertInteger(caller, 'length', length, 1);
    assertInteger(caller, 'imageSize', imageSize, 8);
    if (!Number.isSafeInteger(seed) || seed < 0) {
      throw new InvalidArgumentError({ caller, argument: 'seed', value: seed, expected: 'a non-negative safe integer' });
    }
    const validShapes =
      Array.isArray(shapes) &&
      shapes.length > 0 &&
      shapes.every((shape) => (SHAPE_CLASSES as readonly string[]).includes(shape)) &&
      new Set(shapes).size === shapes.length;
    if (!validShapes) {
      throw new InvalidArgumentError({
        caller,
        argument: 'shapes',
        value: shapes,
        expected: `distinct entries of ${SHAPE_CLASSES.join(', ')}`,
      });
    }
    assertNumberInRange(caller, 'noise', noise, 0, 1);
    this.length = length;
    this.imageSize = imageSize;
    this.seed = seed;
    this.classes = [...shapes];
    this.noise = noise;
  }

  /** Rebuilds the dataset in a worker thread (generation is a pure function of the options). */
  static fromSource(source: Extract<DatasetSource, { kind: 'synthetic-shapes' }>): SyntheticShapes {
    return new SyntheticShapes(source.options as SyntheticShapesOptions);
  }

  /** The label of sample `index`: index mod the number of classes. */
  labelAt(index: number): number {
    assertIndex('SyntheticShapes.labelAt', index, this.length);
    return index % this.classes.length;
  }

  get(index: number): Promise<Sample> {
    try {
      return Promise.resolve(this.getSync(index));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Draws sample `index` (RGB, imageSize × imageSize) and its label.
   * @throws {InvalidArgumentError} for an index outside [0, length).
   */
  getSync(index: number): Sample {
    assertIndex('SyntheticShapes.get', index, this.length);
    const size = this.imageSize;
    const label = index % this.classes.length;
    const inside = INSIDE[this.classes[label]!];
    const random = CounterRandom.fromKey([RANDOM_DOMAIN.synthetic, this.seed, index]);

    const from = [random.next(), random.next(), random.next()];
    const to = [random.next(), random.next(), random.next()];
    const gradientAngle = random.uniform(0, 2 * Math.PI);
    const gradientX = Math.cos(gradientAngle);
    const gradientY = Math.sin(gradientAngle);
    let color = [random.next(), random.next(), random.next()];
    const backgroundLuminance = luminance(
      (from[0]! + to[0]!) / 2,
      (from[1]! + to[1]!) / 2,
      (from[2]! + to[2]!) / 2,
    );
    const shapeLuminance = luminance(color[0]!, color[1]!, color[2]!);
    if (backgroundLuminance > 0.5 && shapeLuminance > backgroundLuminance - 0.3) {
      // Darken (towards black, keeping the hue) until the shape is 0.3 below the background's mean luminance.
      const factor = (backgroundLuminance - 0.3) / shapeLuminance;
      color = color.map((value) => value * factor);
    } else if (backgroundLuminance <= 0.5 && shapeLuminance < backgroundLuminance + 0.3) {
      // Lighten (towards white) until it is 0.3 above.
      const factor = (1 - backgroundLuminance - 0.3) / (1 - shapeLuminance);
      color = color.map((value) => 1 - (1 - value) * factor);
    }
    const centerX = size * random.uniform(0.35, 0.65);
    const centerY = size * random.uniform(0.35, 0.65);
    const radius = size * random.uniform(0.22, 0.34);
    const rotation = random.uniform(-Math.PI / 12, Math.PI / 12);
    const cosine = Math.cos(rotation);
    const sine = Math.sin(rotation);

    const data = new Uint8Array(size * size * 3);
    const step = 1 / SUBSAMPLES;
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        let covered = 0;
        for (let subY = 0; subY < SUBSAMPLES; subY++) {
          for (let subX = 0; subX < SUBSAMPLES; subX++) {
            const dx = (x + (subX + 0.5) * step - centerX) / radius;
            const dy = (centerY - (y + (subY + 0.5) * step)) / radius;
            if (inside(cosine * dx + sine * dy, -sine * dx + cosine * dy)) covered++;
          }
        }
        const coverage = covered / (SUBSAMPLES * SUBSAMPLES);
        const along = 0.5 + 0.25 * (gradientX * ((2 * x) / size - 1) + gradientY * ((2 * y) / size - 1));
        for (let channel = 0; channel < 3; channel++) {
          const background = from[channel]! + (to[channel]! - from[channel]!) * along;
          const noise = this.noise * (2 * random.next() - 1);
          const value = background * (1 - coverage) + color[channel]! * coverage + noise;
          data[(y * size + x) * 3 + channel] = Math.round(255 * Math.min(1, Math.max(0, value)));
        }
      }
    }
    return { image: { width: size, height: size, channels: 3, data }, label };
  }

  toSource(): DatasetSource {
    return {
      kind: 'synthetic-shapes',
      options: { length: this.length, imageSize: this.imageSize, seed: this.seed, shapes: this.classes, noise: this.noise },
    };
  }
}
