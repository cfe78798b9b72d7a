// SyntheticShapes: a procedurally generated, labelled, seeded dataset of shapes that needs no files.
import { InvalidArgumentError, assertInRange, assertInteger, assertKnownKeys } from '@msn/errors';
import { assertIndex, getFromMemory, type DatasetSource, type ImageDataset } from './image-dataset';
import type { Sample } from './image';
import { CounterRandom, RANDOM_DOMAIN } from '@msn/random';

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

// Period of the fill textures, in units of the shape radius (about 3.5 pixels at 16 px).
const TEXTURE_PERIOD = 0.75;

function band(coordinate: number): boolean {
  return (((coordinate / TEXTURE_PERIOD) % 1) + 1) % 1 < 0.5;
}

// Each class also has its own fill texture in the shape's frame: outlines alone are a few pixels apart at 16 px,
// while a texture survives crops, colour jitter and flips (no class's texture is the mirror image of another's).
const TEXTURE: Record<ShapeClass, (u: number, v: number) => boolean> = {
  circle: () => true,
  square: (_u, v) => band(v),
  triangle: (u) => band(u),
  cross: (u, v) => band(u) !== band(v),
  ring: () => true,
  diamond: (u, v) => band(Math.hypot(u, v)),
};

// Share of the way from the shape's colour to the background's in the texture's gaps.
const TEXTURE_GAP = 0.6;

// Channel ranges of background and shape colours.
const BACKGROUND_MAX = 0.3;
const SHAPE_MIN = 0.62;

/**
 * Light shapes on dark gradient backgrounds: the class is the shape (circle, square, triangle, cross, ring,
 * diamond) and its fill texture (solid, horizontal stripes, vertical stripes, checker, solid, concentric bands), so
 * classes differ in more than outline and a linear probe on a few labels can separate them; hue, position (centre
 * within the middle 30 % of each axis), size (radius 26–38 % of the side), rotation (±15°), background gradient and
 * noise vary per sample. Colour carries no class information, so a model has to learn shape and texture: a
 * label-efficiency benchmark that needs no files. Classes are balanced (label = index mod number of classes).
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
    assertInRange(caller, 'noise', noise, 0, 1);
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
    return getFromMemory(() => this.getSync(index));
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
    const texture = TEXTURE[this.classes[label]!];
    const random = CounterRandom.fromKey([RANDOM_DOMAIN.synthetic, this.seed, index]);

    // Light shapes on dark backgrounds, hues random: colour varies about as much as MSN's colour jitter
    // distorts it, so it cannot be the easiest way to tell images apart; the shape's luminance is at least 0.32
    // above every background pixel's.
    const dark = () => BACKGROUND_MAX * random.next();
    const from = [dark(), dark(), dark()];
    const to = [dark(), dark(), dark()];
    const gradientAngle = random.uniform(0, 2 * Math.PI);
    const gradientX = Math.cos(gradientAngle);
    const gradientY = Math.sin(gradientAngle);
    const color = [random.uniform(SHAPE_MIN, 1), random.uniform(SHAPE_MIN, 1), random.uniform(SHAPE_MIN, 1)];
    const centerX = size * random.uniform(0.35, 0.65);
    const centerY = size * random.uniform(0.35, 0.65);
    const radius = size * random.uniform(0.26, 0.38);
    const rotation = random.uniform(-Math.PI / 12, Math.PI / 12);
    const cosine = Math.cos(rotation);
    const sine = Math.sin(rotation);

    const data = new Uint8Array(size * size * 3);
    const step = 1 / SUBSAMPLES;
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        let covered = 0;
        let textured = 0;
        for (let subY = 0; subY < SUBSAMPLES; subY++) {
          for (let subX = 0; subX < SUBSAMPLES; subX++) {
            const dx = (x + (subX + 0.5) * step - centerX) / radius;
            const dy = (centerY - (y + (subY + 0.5) * step)) / radius;
            const u = cosine * dx + sine * dy;
            const v = -sine * dx + cosine * dy;
            if (inside(u, v)) {
              covered++;
              if (!texture(u, v)) textured++;
            }
          }
        }
        const coverage = (covered - TEXTURE_GAP * textured) / (SUBSAMPLES * SUBSAMPLES);
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
