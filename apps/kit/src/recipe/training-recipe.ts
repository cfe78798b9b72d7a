// @file The command line of the example trainers: flags, their defaults, and the run description they resolve to.
import { BACKEND_PREFERENCE, MSN_PRESET_NAMES, msnPreset, resolveMSNConfig, type BackendName, type MSNConfig, type MSNPresetName } from '@msn/trainer';
import { CliArgumentError, type FlagSpecs, type ParsedFlags } from '../cli/parse-arguments';
import { DATASET_NAMES, type DatasetName } from '../datasets/open-dataset';

/**
 * The flags every example trainer accepts (`parseArguments(MSN_TRAINING_FLAGS)`). Defaults are the main job's: a few
 * minutes of pre-training on 16-pixel synthetic shapes. They differ from MSN's reference recipe where small images and
 * short runs need it (noted in each description): no blur (a σ of 2 px erases a 16-px shape), more grayscale, larger
 * crops, 2 focal views, EMA momentum from 0.99 (a short run needs a target that keeps up), learning rate 2e-3.
 */
export const MSN_TRAINING_FLAGS = {
  backend: {
    type: 'string',
    choices: BACKEND_PREFERENCE,
    description:
      'TensorFlow.js backend (default: the first usable of tensorflow, webgpu on a hardware GPU, wasm, cpu; webgpu on a software adapter only when named)',
  },
  dataset: { type: 'string', choices: DATASET_NAMES, default: 'synthetic', description: 'data set' },
  data: { type: 'string', description: 'data folder (fashion-mnist: default /usr/share/datasets/fashion-mnist; cifar10, folder: required)' },
  trainSubset: { type: 'integer', minimum: 1, description: 'pre-train on n images drawn (seeded) from the training set; evaluation keeps every split whole' },
  longTail: {
    type: 'number',
    minimum: 1,
    description:
      'pre-train on a long tail of the training set: class sizes fall as a power law of rank, largest / smallest = this ratio (e.g. 100; classes ordered by --seed); evaluation adds head / medium / tail rows',
  },
  syntheticImages: { type: 'integer', minimum: 1, default: 4096, description: 'images of the synthetic pre-training set' },
  imageSize: {
    type: 'integer',
    minimum: 8,
    description: "side of the random (target and anchor) views (default: the data set's: 28 fashion-mnist, 32 cifar10, 16 synthetic)",
  },
  focalSize: { type: 'integer', minimum: 1, description: 'side of the focal views (default: half the image size, a multiple of the patch size)' },
  randomViews: { type: 'integer', minimum: 2, default: 2, description: 'random views per image: 1 target + anchors' },
  focalViews: { type: 'integer', minimum: 0, default: 2, description: 'focal views per image (MSN: 10)' },
  randomCropScale: { type: 'number', minimum: 0.01, default: 0.5, description: 'smallest area fraction of a random-view crop (MSN: 0.3)' },
  focalCropScale: { type: 'string', default: '0.2,0.5', description: 'area fraction range of focal-view crops, "min,max" (MSN: 0.05,0.3)' },
  colorJitter: { type: 'number', minimum: 0, default: 1, description: 'colour-jitter strength (brightness, contrast, saturation 0.8·s, hue 0.2·s)' },
  grayscale: { type: 'number', minimum: 0, default: 0.5, description: 'probability of turning a view gray (MSN: 0.2)' },
  blur: { type: 'number', minimum: 0, default: 0, description: 'probability of a Gaussian blur, σ 0.1–2 px of the view (MSN: 0.5)' },
  model: { type: 'string', choices: MSN_PRESET_NAMES, default: 'demo', description: 'architecture preset' },
  patchSize: { type: 'integer', minimum: 1, description: 'ViT patch size (overrides the preset)' },
  dim: { type: 'integer', minimum: 1, description: 'ViT width' },
  depth: { type: 'integer', minimum: 1, description: 'ViT blocks' },
  heads: { type: 'integer', minimum: 1, description: 'attention heads' },
  mlpDim: { type: 'integer', minimum: 1, description: 'ViT MLP width' },
  headHidden: { type: 'integer', minimum: 1, description: 'projection head hidden width' },
  headOut: { type: 'integer', minimum: 1, description: 'projection width (= prototype width)' },
  prototypes: { type: 'integer', minimum: 1, description: 'number K of prototypes' },
  maskRatio: { type: 'number', minimum: 0, description: 'share of patches masked in anchor and focal views (default 0.15)' },
  batchSize: { type: 'integer', minimum: 1, default: 64, description: 'images per step' },
  steps: { type: 'integer', minimum: 1, description: 'optimisation steps (default 2000 unless --epochs is given)' },
  epochs: { type: 'number', minimum: 0, description: 'epochs instead of --steps' },
  schedule: {
    type: 'string',
    choices: ['msn', 'constant'],
    default: 'msn',
    description: 'msn: warm-up + cosine lr, cosine weight decay, momentum → 1; constant: fixed values',
  },
  learningRate: { type: 'number', minimum: 0, default: 0.002, description: 'AdamW learning rate, the peak of the msn schedule (MSN: 0.001)' },
  warmupSteps: { type: 'integer', minimum: 0, description: 'learning-rate warm-up steps (default 10 % of the run)' },
  weightDecay: { type: 'number', minimum: 0, default: 0.04, description: 'AdamW weight decay (start of the msn schedule, which ends at 10×)' },
  momentum: {
    type: 'number',
    minimum: 0,
    default: 0.99,
    description: 'EMA momentum of the target encoder, the start of the msn schedule, which ends at 1 (MSN: 0.996)',
  },
  maxGradNorm: { type: 'number', minimum: 0, default: 3, description: 'clip the encoder gradients to this norm (0: no clipping)' },
  temperature: { type: 'number', minimum: 0, default: 0.1, description: 'τ of the softmax over prototype similarities (MSN: 0.1)' },
  sharpenTemperature: { type: 'number', minimum: 0, default: 0.25, description: 'sharpening temperature of the targets (MSN: 0.25)' },
  sinkhornIterations: { type: 'integer', minimum: 0, default: 3, description: 'Sinkhorn iterations on the targets (MSN: 3; 0: none)' },
  meMaxWeight: { type: 'number', minimum: 0, default: 1, description: 'weight λ of the me-max / prior-matching regulariser (MSN: 1)' },
  // 1, not the reference's 0: without it the predictions settle on the uniform fixed point on small or simple data.
  entropyWeight: {
    type: 'number',
    minimum: 0,
    default: 1,
    description:
      "weight of the mean per-image anchor entropy (original MSN code's ent_weight; MSNLoss and lightly: 0, which collapses on small or simple data)",
  },
  freezePrototypes: {
    type: 'integer',
    minimum: 0,
    default: 0,
    description: 'keep the prototypes fixed for the first n steps (0: train them from the start, as MSN)',
  },
  prior: {
    type: 'string',
    default: 'uniform',
    description:
      'uniform (MSN), power_law (PMSN), empirical (PMSN with the class frequencies of the pre-training labels, an oracle) or the path of a JS/TS module exporting a prior',
  },
  powerLawExponent: { type: 'number', minimum: 0, description: 'exponent of the power_law prior (default 0.25)' },
  out: { type: 'string', description: 'output folder: checkpoints/, metrics.jsonl, metrics.csv, config.json (default runs/<app>)' },
  resume: { type: 'string', description: 'checkpoint folder to resume from (e.g. runs/plain/checkpoints/last)' },
  checkpointEvery: { type: 'integer', minimum: 1, default: 250, description: 'checkpoint every n steps (and at the end)' },
  workers: { type: 'integer', minimum: 0, default: 1, description: 'data-loading worker threads' },
  seed: { type: 'integer', minimum: 0, default: 0, description: 'seeds weights, masks, shuffling and augmentation' },
  evaluate: { type: 'boolean', default: true, description: 'evaluate label efficiency at the end (--no-evaluate to skip)' },
  evalSubset: { type: 'integer', minimum: 1, description: 'evaluate on at most n images of each evaluation split' },
  tensorboard: {
    type: 'boolean',
    default: true,
    description: 'also log the metrics as TensorBoard event files in the output folder (tensorboard --logdir runs; --no-tensorboard to skip)',
  },
} as const satisfies FlagSpecs;

/** A resolved, validated description of a training run (JSON: the apps store it as `config.json`). */
export interface TrainingRecipe {
  backend?: BackendName;
  dataset: DatasetName;
  data?: string;
  /** Images of the synthetic pre-training set. @default 4096 */
  syntheticImages?: number;
  /** Pre-train on this many images drawn with the seed from the training set (`SubsetDataset.random`). */
  trainSubset?: number;
  /** Pre-train on `LongTailedSubset.from(train, { ratio: longTail, seed })`. */
  longTail?: number;
  imageSize: number;
  focalSize: number;
  randomViews: number;
  focalViews: number;
  randomCropScale: [number, number];
  focalCropScale: [number, number];
  /** `MSNTransform`'s `cjStrength`, `randomGrayScale` and `gaussianBlur`. */
  augmentation: { cjStrength: number; randomGrayScale: number; gaussianBlur: number };
  /** The architecture (preset plus overrides). */
  config: MSNConfig;
  batchSize: number;
  /** Steps, or epochs (then the apps derive the steps from the loader length). */
  steps?: number;
  epochs?: number;
  schedule: 'msn' | 'constant';
  learningRate: number;
  warmupSteps?: number;
  weightDecay: number;
  momentum: number;
  /** 0 = no clipping. */
  maxGradNorm: number;
  /** Steps during which the prototypes stay fixed (0: none). */
  freezePrototypes: number;
  /** The loss' settings (`MSNLoss` options) and the targets' sharpening temperature. */
  loss: { temperature: number; sinkhornIterations: number; regularizationWeight: number; entropyWeight: number; sharpenTemperature: number };
  /** `'uniform'`, `'power_law'` or a module path. */
  prior: string;
  powerLawExponent?: number;
  out: string;
  resume?: string;
  checkpointEvery: number;
  workers: number;
  seed: number;
  evaluate: boolean;
  evalSubset?: number;
  /** Log the metrics as TensorBoard event files in `out` too. @default true */
  tensorboard?: boolean;
}

/** Native image side of the data sets that have one. */
const NATIVE_SIZE: Partial<Record<DatasetName, number>> = { 'fashion-mnist': 28, cifar10: 32, synthetic: 16 };

function parseRange(flag: string, text: string): [number, number] {
  const parts = text.split(',').map((part) => Number(part.trim()));
  const [low, high] = parts;
  if (parts.length !== 2 || !parts.every(Number.isFinite) || !(low! > 0 && low! <= high! && high! <= 1)) {
    throw new CliArgumentError(flag, text, 'two numbers "min,max" with 0 < min <= max <= 1');
  }
  return [low!, high!];
}

/**
 * Turns parsed {@link MSN_TRAINING_FLAGS} into a {@link TrainingRecipe}: preset plus size overrides, image and focal
 * sizes that fit the patch size, steps or epochs. Checks that need files (data folder, prior module, checkpoint)
 * happen where they are opened.
 *
 * @example
 * const recipe = resolveTrainingRecipe(parseArguments(MSN_TRAINING_FLAGS), { out: 'runs/plain' });
 * @throws {CliArgumentError} (exit code 2) naming the flag: both --steps and --epochs, sizes that are not
 *   multiples of the patch size, --power-law-exponent without --prior power_law, an invalid architecture.
 */
export function resolveTrainingRecipe(flags: ParsedFlags<typeof MSN_TRAINING_FLAGS>, defaults: { out: string }): TrainingRecipe {
  if (flags.steps !== undefined && flags.epochs !== undefined) throw new CliArgumentError('--epochs', flags.epochs, 'either --steps or --epochs, not both');
  if (flags.epochs !== undefined && flags.epochs <= 0) throw new CliArgumentError('--epochs', flags.epochs, 'a number > 0');
  if (flags.longTail !== undefined && flags.trainSubset !== undefined)
    throw new CliArgumentError('--long-tail', flags.longTail, 'either --long-tail or --train-subset, not both');
  if (flags.powerLawExponent !== undefined && flags.prior !== 'power_law') {
    throw new CliArgumentError(
      '--power-law-exponent',
      flags.powerLawExponent,
      `no exponent with --prior ${flags.prior} (it applies to --prior power_law only)`,
    );
  }
  if (flags.maskRatio !== undefined && !(flags.maskRatio < 1)) throw new CliArgumentError('--mask-ratio', flags.maskRatio, 'a number in [0, 1)');
  if (flags.momentum > 1) throw new CliArgumentError('--momentum', flags.momentum, 'a number in [0, 1]');
  for (const [flag, value] of [
    ['--grayscale', flags.grayscale],
    ['--blur', flags.blur],
  ] as const) {
    if (value > 1) throw new CliArgumentError(flag, value, 'a probability in [0, 1]');
  }
  for (const [flag, value] of [
    ['--temperature', flags.temperature],
    ['--sharpen-temperature', flags.sharpenTemperature],
  ] as const) {
    if (!(value > 0)) throw new CliArgumentError(flag, value, 'a number > 0');
  }
  if (flags.randomCropScale > 1) throw new CliArgumentError('--random-crop-scale', flags.randomCropScale, 'a number in (0, 1]');
  const imageSize = flags.imageSize ?? NATIVE_SIZE[flags.dataset as DatasetName] ?? 224;
  const preset = msnPreset(flags.model as MSNPresetName, imageSize);
  const vitInput = preset.vit as { patchSize: number; numLayers: number; numHeads: number; hiddenDim: number; mlpDim: number };
  const vit = {
    ...vitInput,
    imageSize,
    ...(flags.patchSize === undefined ? {} : { patchSize: flags.patchSize }),
    ...(flags.dim === undefined ? {} : { hiddenDim: flags.dim }),
    ...(flags.depth === undefined ? {} : { numLayers: flags.depth }),
    ...(flags.heads === undefined ? {} : { numHeads: flags.heads }),
    ...(flags.mlpDim === undefined ? {} : { mlpDim: flags.mlpDim }),
  };
  const patch = vit.patchSize;
  if (imageSize % patch !== 0)
    throw new CliArgumentError(
      flags.imageSize === undefined ? '--patch-size' : '--image-size',
      flags.imageSize ?? patch,
      `an image size that is a multiple of the patch size (image ${imageSize}, patch ${patch})`,
    );
  const focalSize = flags.focalSize ?? Math.max(patch, Math.round(imageSize / 2 / patch) * patch);
  if (focalSize % patch !== 0) throw new CliArgumentError('--focal-size', focalSize, `a multiple of the patch size ${patch}`);
  let config: MSNConfig;
  try {
    config = resolveMSNConfig({
      vit,
      head: {
        ...(preset.head ?? {}),
        ...(flags.headHidden === undefined ? {} : { hiddenDim: flags.headHidden }),
        ...(flags.headOut === undefined ? {} : { outputDim: flags.headOut }),
      },
      numPrototypes: flags.prototypes ?? preset.numPrototypes,
      maskRatio: flags.maskRatio ?? preset.maskRatio ?? 0.15,
    });
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    throw new CliArgumentError('--model / size flags', `${flags.model} with overrides`, `a valid architecture (${detail})`);
  }
  return {
    ...(flags.backend === undefined ? {} : { backend: flags.backend as BackendName }),
    dataset: flags.dataset as DatasetName,
    ...(flags.data === undefined ? {} : { data: flags.data }),
    syntheticImages: flags.syntheticImages,
    ...(flags.trainSubset === undefined ? {} : { trainSubset: flags.trainSubset }),
    ...(flags.longTail === undefined ? {} : { longTail: flags.longTail }),
    imageSize,
    focalSize,
    randomViews: flags.randomViews,
    focalViews: flags.focalViews,
    randomCropScale: [flags.randomCropScale, 1],
    focalCropScale: parseRange('--focal-crop-scale', flags.focalCropScale),
    augmentation: { cjStrength: flags.colorJitter, randomGrayScale: flags.grayscale, gaussianBlur: flags.blur },
    config,
    batchSize: flags.batchSize,
    ...(flags.epochs === undefined ? { steps: flags.steps ?? 2000 } : { epochs: flags.epochs }),
    schedule: flags.schedule as 'msn' | 'constant',
    learningRate: flags.learningRate,
    ...(flags.warmupSteps === undefined ? {} : { warmupSteps: flags.warmupSteps }),
    weightDecay: flags.weightDecay,
    momentum: flags.momentum,
    maxGradNorm: flags.maxGradNorm,
    freezePrototypes: flags.freezePrototypes,
    loss: {
      temperature: flags.temperature,
      sinkhornIterations: flags.sinkhornIterations,
      regularizationWeight: flags.meMaxWeight,
      entropyWeight: flags.entropyWeight,
      sharpenTemperature: flags.sharpenTemperature,
    },
    prior: flags.prior,
    ...(flags.powerLawExponent === undefined ? {} : { powerLawExponent: flags.powerLawExponent }),
    out: flags.out ?? defaults.out,
    ...(flags.resume === undefined ? {} : { resume: flags.resume }),
    checkpointEvery: flags.checkpointEvery,
    workers: flags.workers,
    seed: flags.seed,
    evaluate: flags.evaluate,
    ...(flags.evalSubset === undefined ? {} : { evalSubset: flags.evalSubset }),
    tensorboard: flags.tensorboard,
  };
}
