// The equivalence experiment shared by the test (one process, batch 2b) and its rank children (world size 2, batch b).
import { createHash } from 'node:crypto';
import { DistributedSampler } from '@msn/data';
import { MSNLoss, PMSNLoss } from '@msn/loss';
import { createRandom } from '@msn/random';
import { randomTokenMask } from '@msn/vit';
import * as tf from '@tensorflow/tfjs-core';
import { MSNModel } from '../../msn/msn-model';
import { msnTrainingStep, type MSNBatch } from '../../msn/msn-training-step';
import type { AdamW } from '../../optim/adamw';
import type { DistributedLossOptions } from '../ddp';
import type { GradientStepOptimizer } from '../distributed-optimizer';

export type LossKind = 'msn' | 'pmsn';

/**
 * `ddp`: the real setup. The others leave out one piece, as negative controls that must break the equivalence:
 * `local-batch-norm` (per-rank BatchNorm statistics), `local-loss` (Sinkhorn and regulariser per rank),
 * `clip-before-average` (the optimiser averages, so clipping sees each rank's own gradient).
 */
export type Variant = 'ddp' | 'local-batch-norm' | 'local-loss' | 'clip-before-average';

/** A tiny MSN setup: every size small enough for a fast test, every feature of a real step on (focal views, masks, clipping). */
export const SETUP = {
  config: {
    vit: { imageSize: 16, patchSize: 4, numLayers: 2, numHeads: 2, hiddenDim: 32, mlpDim: 64 },
    head: { hiddenDim: 64, outputDim: 16 },
    numPrototypes: 10,
    maskRatio: 0.15,
  },
  focalViews: 2,
  focalSize: 8,
  /** Samples per rank and step (b); the single process takes worldSize · b. */
  perRankBatch: 3,
  worldSize: 2,
  steps: 3,
  learningRate: 1e-3,
  weightDecay: 0.04,
  momentum: 0.996,
  /** Below most steps' gradient norms (≈ 18–22), so clipping is active: gradients must be averaged before clipping. */
  maxGradNorm: 18,
  /** Rank 0's model seed (other ranks build different weights, which the broadcast must replace). */
  modelSeed: 11,
  samplerSeed: 3,
  dataSeed: 5,
  maskSeed: 9,
} as const;

export const DATASET_LENGTH = SETUP.steps * SETUP.worldSize * SETUP.perRankBatch;

export function createLoss(kind: LossKind, distributed: DistributedLossOptions | Record<string, never> = {}): MSNLoss {
  return kind === 'msn' ? new MSNLoss({ ...distributed }) : new PMSNLoss({ powerLawExponent: 0.25, ...distributed });
}

/** Values uniform in [−2, 2) quantised to multiples of 1/64, a pure function of (data seed, sample, view). */
function viewValues(sample: number, view: number, size: number): Float32Array {
  const random = createRandom(SETUP.dataSeed * 1_000_003 + sample * 101 + view);
  return Float32Array.from({ length: 3 * size * size }, () => Math.floor((random.nextFloat() * 4 - 2) * 64) / 64);
}

/** Dataset indices of step `step` for `rank` of a world of `worldSize`, as a shuffled DistributedSampler assigns them. */
export function stepIndices(step: number, rank: number, worldSize: number): number[] {
  const sampler = new DistributedSampler({ datasetLength: DATASET_LENGTH, rank, worldSize, shuffle: true, seed: SETUP.samplerSeed });
  sampler.setEpoch(0);
  const perStep = (SETUP.worldSize * SETUP.perRankBatch) / worldSize;
  return sampler.indices().slice(step * perStep, (step + 1) * perStep);
}

/**
 * Rows of the combined batch of `step` (world size 2, 2b samples in sampler order: position p holds the sample of rank
 * p mod 2) that `rank` holds, in its own order: the interleaved shard gives rank r positions r, r + 2, r + 4, …
 */
export function positionsOf(rank: number, worldSize: number): number[] {
  const global = SETUP.worldSize * SETUP.perRankBatch;
  return Array.from({ length: global / worldSize }, (_, index) => (worldSize === 1 ? index : rank + index * worldSize));
}

/**
 * The views of step `step` for `rank` (world size 1: the whole 2b batch in sampler order), as an `MSNTransform` batch
 * lays them out: target, anchor, then the focal views.
 */
export function stepViews(step: number, rank: number, worldSize: number): tf.Tensor4D[] {
  const indices = stepIndices(step, rank, worldSize);
  const images = (view: number, size: number) =>
    tf.tensor4d(Float32Array.from(indices.flatMap((sample) => Array.from(viewValues(sample, view, size)))), [indices.length, 3, size, size]);
  const { imageSize } = SETUP.config.vit;
  return [images(0, imageSize), images(1, imageSize), ...Array.from({ length: SETUP.focalViews }, (_, view) => images(2 + view, SETUP.focalSize))];
}

/**
 * The batch of step `step` for `rank` (world size 1: the whole 2b batch). Masks are drawn once for the 2b combined
 * batch (anchor rows, then focal rows view-major) and split: every sample keeps the same tokens in both runs.
 */
export function stepBatch(model: MSNModel, step: number, rank: number, worldSize: number): MSNBatch {
  const positions = positionsOf(rank, worldSize);
  const global = SETUP.worldSize * SETUP.perRankBatch;
  const { imageSize } = SETUP.config.vit;
  const random = createRandom(SETUP.maskSeed * 7919 + step);
  const anchorMask = randomTokenMask({
    batchSize: global,
    sequenceLength: model.anchorBackbone.sequenceLength(imageSize),
    maskRatio: SETUP.config.maskRatio,
    random,
  });
  const focalMask = randomTokenMask({
    batchSize: global * SETUP.focalViews,
    sequenceLength: model.anchorBackbone.sequenceLength(SETUP.focalSize),
    maskRatio: SETUP.config.maskRatio,
    random,
  });
  const focalRows = Array.from({ length: SETUP.focalViews }, (_, view) => positions.map((position) => view * global + position)).flat();
  const rowsOf = (mask: tf.Tensor2D, rows: number[]) => tf.tidy(() => tf.gather(mask, tf.tensor1d(rows, 'int32')) as tf.Tensor2D);
  const [targets, anchors, ...focal] = stepViews(step, rank, worldSize);
  const batch: MSNBatch = {
    targets: targets!,
    anchors: anchors!,
    focal,
    idxKeepAnchors: rowsOf(anchorMask, positions),
    idxKeepFocal: rowsOf(focalMask, focalRows),
  };
  tf.dispose([anchorMask, focalMask]);
  return batch;
}

export interface StepReport {
  loss: number;
  crossEntropy: number;
  regLoss: number;
  gradNorm: number;
  /** Gradients after reduction (the all-rank mean under DDP), by parameter name. */
  gradients: Record<string, number[]>;
  /** Every variable of the model after this step, by name. */
  parameters: Record<string, number[]>;
}

export interface RunReport {
  steps: StepReport[];
  /** SHA-256 of every variable's bytes after the last step (ranks must agree bit for bit). */
  parameterDigest: string;
}

/** Every variable of the model by name, and a SHA-256 of their bytes. */
export function readVariables(model: MSNModel): { values: Record<string, number[]>; digest: string } {
  const hash = createHash('sha256');
  const values: Record<string, number[]> = {};
  for (const [name, variable] of model.namedVariables()) {
    const data = variable.dataSync() as Float32Array;
    hash.update(name).update(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    values[name] = Array.from(data);
  }
  return { values, digest: hash.digest('hex') };
}

/**
 * A model whose every value is random, as in the step/ fixtures (the init leaves biases at 0 and LayerNorm at 1, which
 * would make those tensors O(lr) after a few steps and their comparison a test of rounding): each anchor variable gets
 * uniform noise of ±0.1 (running variances are drawn from [0.5, 1.5]), the target is a copy of the anchor.
 */
export function createModel(seed: number): MSNModel {
  const model = new MSNModel({ config: SETUP.config, seed });
  const random = createRandom(seed * 31 + 1);
  const values = new Map<string, tf.Tensor>();
  for (const [name, variable] of model.namedVariables()) {
    if (name.startsWith('target.')) continue;
    const current = variable.dataSync();
    const noisy = name.endsWith('running_var')
      ? Float32Array.from(current, () => 0.5 + random.nextFloat())
      : Float32Array.from(current, (value) => value + (random.nextFloat() * 2 - 1) * 0.1);
    values.set(name, tf.tensor(noisy, variable.shape));
    if (name.startsWith('anchor.')) values.set(`target.${name.slice('anchor.'.length)}`, values.get(name)!);
  }
  model.loadStateDict(values);
  tf.dispose([...new Set(values.values())]);
  return model;
}

/** Runs the steps on `model` with the batches of `rank` in a world of `worldSize`. */
export async function runSteps(
  model: MSNModel,
  loss: MSNLoss,
  rank: number,
  worldSize: number,
  reduceGradients?: (gradients: ReadonlyMap<string, tf.Tensor>) => Map<string, tf.Tensor>,
  wrapOptimizer: (optimizer: AdamW) => GradientStepOptimizer = (optimizer) => optimizer,
): Promise<RunReport> {
  const optimizer = wrapOptimizer(model.createOptimizer({ learningRate: SETUP.learningRate, weightDecay: SETUP.weightDecay }));
  const steps: StepReport[] = [];
  try {
    for (let step = 0; step < SETUP.steps; step++) {
      const batch = stepBatch(model, step, rank, worldSize);
      let gradients: Record<string, number[]> = {};
      const result = await msnTrainingStep(model, batch, {
        optimizer,
        loss,
        momentum: SETUP.momentum,
        maxGradNorm: SETUP.maxGradNorm,
        ...(reduceGradients === undefined ? {} : { reduceGradients }),
        inspect: (tensors) => {
          gradients = Object.fromEntries([...tensors.gradients].map(([name, gradient]) => [name, Array.from(gradient.dataSync())]));
        },
      });
      tf.dispose([batch.targets, batch.anchors as tf.Tensor, ...(batch.focal as tf.Tensor[]), batch.idxKeepAnchors!, batch.idxKeepFocal!]);
      steps.push({ ...result, gradients, parameters: readVariables(model).values });
    }
  } finally {
    optimizer.dispose();
  }
  return { steps, parameterDigest: readVariables(model).digest };
}
