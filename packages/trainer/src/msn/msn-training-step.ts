// One MSN optimisation step in the order of lightly's MSN example: EMA, target forward, anchor forward, loss, AdamW.
import * as tf from '@tensorflow/tfjs-core';
import { MSNLoss, settleDeviceChecks, type MSNLossDetails } from '@msn/loss';
import { createRandom, type Random } from '@msn/random';
import { throwDeviceError } from '../backend/webgpu-errors';
import { InvalidArgumentError, ShapeError, assertInRange, assertInteger, assertKnownKeys, assertPositiveFinite } from '@msn/errors';
import type { NamedGradients } from '../optim/adamw';
import { healthStatistics, readStepHealth, type StepHealth } from '../health/health-statistics';
import { clipGradientsByGlobalNorm } from '../optim/clip-gradients';
import { globalNorm } from '../optim/global-norm';
import type { MSNModel } from './msn-model';

/** One or several views `[B, C, s, s]` of the batch's B images; several are concatenated view-major. */
export type MSNViews = tf.Tensor4D | readonly tf.Tensor4D[];

/**
 * The images of one MSN step. Row r of the anchor (and focal) rows pairs with target row r mod B, so views are
 * view-major: rows [v·B, (v+1)·B) are view v (pass one tensor per view, or one tensor already laid out that way).
 */
export interface MSNBatch {
  /** Target views `[B, C, S, S]`: encoded whole by the target encoder. */
  targets: tf.Tensor4D;
  /** Anchor views (`[B, C, S, S]`, or several): masked, one pass of the anchor encoder. */
  anchors: MSNViews;
  /** Focal views (smaller crops, `[B·F, C, s, s]` or F tensors `[B, C, s, s]`): masked, a second anchor pass. `[]` or absent: none. */
  focal?: MSNViews | undefined;
  /** Kept-token indices `[anchor rows, k]` (int32, 0 = class token, 1 + p = patch p); drawn when absent. */
  idxKeepAnchors?: tf.Tensor2D | undefined;
  /** Kept-token indices for the focal rows; drawn when absent. */
  idxKeepFocal?: tf.Tensor2D | undefined;
}

/** What the step needs from a loss: `MSNLoss`, `PMSNLoss` or `PMSNCustomLoss` of `@msn/loss`. */
export type MSNStepLoss = Pick<MSNLoss, 'forwardWithDetails'>;

/** What the step needs from an optimiser: `AdamW` of this package (gradients by parameter name). */
export interface MSNStepOptimizer {
  step(gradients: NamedGradients): void;
}

/** The tensors of one step, handed to `inspect` before they are freed (read them, do not keep or dispose them). */
export interface MSNStepTensors {
  /** Target-branch output `[B, outputDim]`. */
  targetsOut: tf.Tensor2D;
  /** concat(anchor-view outputs, focal-view outputs) `[rows, outputDim]`. */
  anchorsOut: tf.Tensor2D;
  /** Gradients by parameter name (after `reduceGradients`, before clipping), one per parameter that received one. */
  gradients: ReadonlyMap<string, tf.Tensor>;
  /** The anchor views' mask (given or drawn); undefined when nothing was masked. */
  idxKeepAnchors: tf.Tensor2D | undefined;
  /** The focal views' mask (given or drawn); undefined without focal views or masking. */
  idxKeepFocal: tf.Tensor2D | undefined;
}

/** Options of {@link msnTrainingStep}. */
export interface MSNTrainingStepOptions {
  /** Updates the model's {@link MSNModel.trainableParameters} (e.g. `model.createOptimizer()`). */
  optimizer: MSNStepOptimizer;
  /** @default new MSNLoss() (τ 0.1, 3 Sinkhorn iterations, me-max weight 1) */
  loss?: MSNStepLoss | undefined;
  /** EMA momentum of the target update that starts the step (from a schedule, 0.996 → 1 in MSN). @default 0.996 */
  momentum?: number;
  /** Sharpening temperature of the targets (from a schedule in MSN). @default 0.25 */
  targetSharpenTemperature?: number;
  /**
   * Clip the anchor encoder's gradients (backbone and head; not the prototypes', as in MSN's `clip_grad`) to this
   * global L2 norm before the optimiser step. @default no clipping
   */
  maxGradNorm?: number;
  /**
   * Seeds this step's masks (when the batch has none), e.g. derived from the run seed and the global step so a
   * resumed run draws the same masks. @default the model's own mask stream (`model.maskRandom`)
   */
  maskSeed?: number;
  /** Called with the step's tensors before they are freed (tests, debugging, extra logging). */
  inspect?: (tensors: MSNStepTensors) => void;
  /**
   * Replaces the gradients before clipping and the optimiser step, e.g. by their mean over data-parallel ranks
   * (`ddp(model, group).reduceGradients`), so clipping and `gradNorm` see the combined batch's gradient. Returns new
   * tensors (the step frees them); must not dispose its argument.
   * @default the gradients unchanged
   */
  reduceGradients?: (gradients: ReadonlyMap<string, tf.Tensor>) => Map<string, tf.Tensor>;
  /**
   * Leave the prototypes unchanged in this step (their gradient is still computed and reduced, but not applied),
   * as DINO freezes its last layer early on. Fixed prototypes cannot merge, one road to the uniform fixed point; the
   * embeddings can still find directions where all prototypes look alike (measured: it did not prevent the uniform
   * phase of the main job's model, K 32 < D 64). @default true (the reference updates them)
   */
  updatePrototypes?: boolean;
}

/** What one step reports (plain numbers, read once after the update). */
export interface MSNStepResult {
  /** crossEntropy + λ·regLoss. */
  loss: number;
  crossEntropy: number;
  /** The regulariser before weighting (me-max, or KL(prior ‖ q) for PMSN). */
  regLoss: number;
  /** Global L2 norm of the anchor encoder's gradients (prototypes excluded) before clipping (MSN's `enc_norm`). */
  gradNorm: number;
  /** Entropies, prototype wins and feature similarity of this step, for a collapse monitor (`TrainingHealth`). */
  health: StepHealth;
}

const OPTION_KEYS = [
  'optimizer',
  'loss',
  'momentum',
  'targetSharpenTemperature',
  'maxGradNorm',
  'maskSeed',
  'inspect',
  'reduceGradients',
  'updatePrototypes',
] as const;
const BATCH_KEYS = ['targets', 'anchors', 'focal', 'idxKeepAnchors', 'idxKeepFocal'] as const;
const CALLER = 'msnTrainingStep';
const PROTOTYPES = 'prototypes';

let defaultLoss: MSNLoss | undefined;

/**
 * One MSN training step, in the order of lightly's `examples/pytorch/msn.py` (and of the `step/` fixtures):
 *
 * 1. EMA of the target encoder towards the anchor: target ← m·target + (1 − m)·anchor (every parameter, no buffer);
 * 2. targetsOut = targetHead(targetBackbone(targets)): full images, outside the gradient scope (nothing taped);
 * 3. anchorsOut = concat(anchorHead(anchorBackbone(anchors, idxKeepAnchors)), anchorHead(anchorBackbone(focal,
 *    idxKeepFocal))): the head runs twice, so each call normalises with its own batch statistics. BatchNorm is in
 *    training mode everywhere (running statistics updated: target head once, anchor head twice);
 * 4. loss(anchorsOut, targetsOut, prototypes) (MSN, or PMSN through `options.loss`);
 * 5. gradients with respect to the anchor parameters and the prototypes only, optionally reduced (`reduceGradients`,
 *    e.g. averaged over data-parallel ranks), optional clipping of the encoder's gradients, one optimiser step.
 *
 * Masks missing from the batch are drawn with the model's mask ratio ({@link MSNModel.drawMask}). Memory stays flat
 * from step to step: every tensor the step creates is freed (the batch stays the caller's).
 *
 * @example
 * const optimizer = model.createOptimizer({ learningRate: 1e-3, weightDecay: 0.04 });
 * const { loss, gradNorm } = await msnTrainingStep(model, { targets, anchors, focal }, { optimizer, momentum: 0.996 });
 * @throws {InvalidArgumentError} for an unknown option, a momentum outside [0, 1], a non-positive temperature or clip
 *   norm, a tensor that is not a tf.Tensor, or masks that do not fit the views.
 * @throws {ShapeError} for views whose row counts are not multiples of the targets' batch size.
 * @throws {DeviceError} on webgpu, when the GPU rejected work since the previous step (its results are invalid).
 */
export async function msnTrainingStep(model: MSNModel, batch: MSNBatch, options: MSNTrainingStepOptions): Promise<MSNStepResult> {
  const settings = validateOptions(options);
  if (typeof batch !== 'object' || batch === null) {
    throw new InvalidArgumentError({
      caller: CALLER,
      argument: 'batch',
      value: batch,
      expected: '{ targets, anchors, focal?, idxKeepAnchors?, idxKeepFocal? }',
    });
  }
  assertKnownKeys(`${CALLER} (batch)`, batch, BATCH_KEYS);
  const targets = batch.targets;
  if (!(targets instanceof tf.Tensor) || targets.rank !== 4) {
    throw new InvalidArgumentError({ caller: CALLER, argument: 'batch.targets', value: describe(targets), expected: 'a tf.Tensor4D [B, C, S, S]' });
  }
  const batchSize = targets.shape[0];
  const owned: tf.Tensor[] = [];
  try {
    const anchors = joinViews('batch.anchors', batch.anchors, batchSize, owned);
    // No focal views: undefined or an empty list (e.g. `[target, anchor, ...focal] = views` with two views).
    const noFocal = batch.focal === undefined || (Array.isArray(batch.focal) && batch.focal.length === 0);
    const focal = noFocal ? undefined : joinViews('batch.focal', batch.focal!, batchSize, owned);
    if (focal === undefined && batch.idxKeepFocal !== undefined) {
      throw new InvalidArgumentError({
        caller: CALLER,
        argument: 'batch.idxKeepFocal',
        value: describe(batch.idxKeepFocal),
        expected: 'no focal mask without focal views',
      });
    }
    const random = settings.maskSeed === undefined ? model.maskRandom : createRandom(settings.maskSeed);
    const idxKeepAnchors = resolveMask(model, 'batch.idxKeepAnchors', batch.idxKeepAnchors, anchors, random, owned);
    const idxKeepFocal = focal === undefined ? undefined : resolveMask(model, 'batch.idxKeepFocal', batch.idxKeepFocal, focal, random, owned);

    // 1. EMA first, so the target sees the anchor of the previous step (lightly's order).
    model.updateTarget(settings.momentum);
    // 2. Target branch: no gradient scope is open, so none of it is taped.
    const targetsOut = model.forwardTarget(targets);
    owned.push(targetsOut);

    // 3–4. Anchor branch and loss under the tape; 5. gradients for the explicit parameter list only.
    const parameters = model.trainableParameters();
    const namesByVariable = new Map([...parameters].map(([name, variable]) => [variable.name, name]));
    let parts: tf.Tensor[] = [];
    const { value: loss, grads } = withGradientAdvice(() =>
      tf.variableGrads(() => {
        const anchorOut = model.forwardAnchor(anchors, idxKeepAnchors);
        const anchorsOut = focal === undefined ? anchorOut : tf.concat([anchorOut, model.forwardAnchor(focal, idxKeepFocal)], 0);
        const details: MSNLossDetails = settings.loss.forwardWithDetails(anchorsOut, targetsOut, model.prototypes, settings.targetSharpenTemperature);
        // Kept past the gradient scope for the report, the health statistics (and inspect); the rest is freed with it.
        parts = [
          tf.keep(details.crossEntropy),
          tf.keep(details.regLoss),
          tf.keep(details.anchorProbs),
          tf.keep(details.targetProbs),
          ...(settings.inspect ? [tf.keep(anchorsOut)] : []),
        ];
        return details.loss;
      }, [...parameters.values()]),
    );
    owned.push(loss, ...parts);
    let gradients = new Map(Object.entries(grads).map(([variableName, gradient]) => [namesByVariable.get(variableName)!, gradient]));
    owned.push(...gradients.values());
    if (settings.reduceGradients !== undefined) {
      gradients = settings.reduceGradients(gradients);
      owned.push(...gradients.values());
    }

    if (settings.inspect) {
      settings.inspect({ targetsOut, anchorsOut: parts[4] as tf.Tensor2D, gradients, idxKeepAnchors, idxKeepFocal });
    }
    // MSN clips (and reports the norm of) the encoder's gradients only; the prototypes' gradient passes unchanged.
    const encoderGradients = new Map([...gradients].filter(([name]) => name !== PROTOTYPES));
    const prototypesGradient = settings.updatePrototypes ? gradients.get(PROTOTYPES) : undefined;
    let gradNorm: tf.Scalar;
    if (settings.maxGradNorm === undefined) {
      gradNorm = globalNorm([...encoderGradients.values()]);
      owned.push(gradNorm);
      if (prototypesGradient !== undefined) encoderGradients.set(PROTOTYPES, prototypesGradient);
      settings.optimizer.step(encoderGradients);
    } else {
      const clipped = clipGradientsByGlobalNorm(encoderGradients, settings.maxGradNorm);
      gradNorm = clipped.totalNorm;
      owned.push(gradNorm, ...clipped.gradients.values());
      if (prototypesGradient !== undefined) clipped.gradients.set(PROTOTYPES, prototypesGradient);
      settings.optimizer.step(clipped.gradients);
    }
    // One read-back for the report and the health statistics.
    const summary = tf.tidy(() => {
      const health = healthStatistics({
        anchorProbs: parts[2] as tf.Tensor2D,
        targetProbs: parts[3] as tf.Tensor2D,
        targetEmbeddings: targetsOut,
        crossEntropy: parts[0] as tf.Scalar,
      });
      return tf.concat([tf.stack([loss, parts[0]!, parts[1]!, gradNorm]), health]);
    });
    owned.push(summary);
    const values = (await summary.data()) as Float32Array;
    // On a GPU backend the loss's and ViT's input checks read back asynchronously: report a failure with this step.
    await settleDeviceChecks();
    // A WebGPU validation or out-of-memory error means the GPU dropped work of this step (webgpu-errors.ts).
    throwDeviceError();
    return { loss: values[0]!, crossEntropy: values[1]!, regLoss: values[2]!, gradNorm: values[3]!, health: readStepHealth(values, 4) };
  } finally {
    tf.dispose(owned);
  }
}

interface StepSettings {
  optimizer: MSNStepOptimizer;
  loss: MSNStepLoss;
  momentum: number;
  targetSharpenTemperature: number;
  maxGradNorm: number | undefined;
  maskSeed: number | undefined;
  inspect: ((tensors: MSNStepTensors) => void) | undefined;
  reduceGradients: ((gradients: ReadonlyMap<string, tf.Tensor>) => Map<string, tf.Tensor>) | undefined;
  updatePrototypes: boolean;
}

function validateOptions(options: MSNTrainingStepOptions): StepSettings {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidArgumentError({ caller: CALLER, argument: 'options', value: options, expected: '{ optimizer, loss?, momentum?, ... }' });
  }
  assertKnownKeys(CALLER, options, OPTION_KEYS);
  const { optimizer, momentum = 0.996, targetSharpenTemperature = 0.25, maxGradNorm, maskSeed, inspect, reduceGradients, updatePrototypes = true } = options;
  if (typeof updatePrototypes !== 'boolean')
    throw new InvalidArgumentError({ caller: CALLER, argument: 'updatePrototypes', value: updatePrototypes, expected: 'a boolean' });
  if (typeof optimizer !== 'object' || optimizer === null || typeof optimizer.step !== 'function') {
    throw new InvalidArgumentError({
      caller: CALLER,
      argument: 'optimizer',
      value: optimizer,
      expected: 'an optimiser with step(gradients), e.g. model.createOptimizer()',
    });
  }
  if (options.loss === undefined) defaultLoss ??= new MSNLoss();
  const loss = options.loss ?? defaultLoss;
  if (typeof loss !== 'object' || loss === null || typeof loss.forwardWithDetails !== 'function') {
    throw new InvalidArgumentError({ caller: CALLER, argument: 'loss', value: loss, expected: 'an MSNLoss, PMSNLoss or PMSNCustomLoss' });
  }
  assertInRange(CALLER, 'momentum', momentum, 0, 1);
  assertPositiveFinite(CALLER, 'targetSharpenTemperature', targetSharpenTemperature);
  if (maxGradNorm !== undefined) assertPositiveFinite(CALLER, 'maxGradNorm', maxGradNorm);
  if (maskSeed !== undefined) assertInteger(CALLER, 'maskSeed', maskSeed, Number.MIN_SAFE_INTEGER);
  if (inspect !== undefined && typeof inspect !== 'function') {
    throw new InvalidArgumentError({ caller: CALLER, argument: 'inspect', value: inspect, expected: 'a function (tensors) => void' });
  }
  if (reduceGradients !== undefined && typeof reduceGradients !== 'function') {
    throw new InvalidArgumentError({
      caller: CALLER,
      argument: 'reduceGradients',
      value: reduceGradients,
      expected: 'a function (gradients) => Map of new gradients',
    });
  }
  return { optimizer, loss, momentum, targetSharpenTemperature, maxGradNorm, maskSeed, inspect, reduceGradients, updatePrototypes };
}

// One [V·B, C, s, s] tensor from one or several views (a new tensor in `owned` when views are concatenated).
function joinViews(argument: string, views: MSNViews, batchSize: number, owned: tf.Tensor[]): tf.Tensor4D {
  const list = views instanceof tf.Tensor ? [views] : Array.isArray(views) ? (views as readonly tf.Tensor4D[]) : undefined;
  if (list === undefined || list.length === 0) {
    throw new InvalidArgumentError({ caller: CALLER, argument, value: describe(views), expected: 'a tf.Tensor4D or a non-empty array of them' });
  }
  list.forEach((view, index) => {
    const name = list.length === 1 && views instanceof tf.Tensor ? argument : `${argument}[${index}]`;
    if (!(view instanceof tf.Tensor) || view.rank !== 4) {
      throw new InvalidArgumentError({ caller: CALLER, argument: name, value: describe(view), expected: 'a tf.Tensor4D [rows, C, s, s]' });
    }
    if (view.shape[0] === 0 || view.shape[0] % batchSize !== 0) {
      throw new ShapeError(
        `${CALLER}: '${name}' [${view.shape}] must have a positive multiple of the ${batchSize} rows of 'batch.targets' (views are view-major)`,
      );
    }
    if (!tf.util.arraysEqual(view.shape.slice(1), list[0]!.shape.slice(1))) {
      throw new ShapeError(`${CALLER}: '${name}' [${view.shape}] and '${argument}[0]' [${list[0]!.shape}] must have the same image shape`);
    }
  });
  if (list.length === 1) return list[0]!;
  const joined = tf.concat(list as tf.Tensor4D[], 0);
  owned.push(joined);
  return joined;
}

function resolveMask(
  model: MSNModel,
  argument: string,
  given: tf.Tensor2D | undefined,
  views: tf.Tensor4D,
  random: Random,
  owned: tf.Tensor[],
): tf.Tensor2D | undefined {
  const rows = views.shape[0];
  if (given !== undefined) {
    if (!(given instanceof tf.Tensor) || given.rank !== 2 || given.dtype !== 'int32') {
      throw new InvalidArgumentError({ caller: CALLER, argument, value: describe(given), expected: 'an int32 tf.Tensor2D [rows, k]' });
    }
    if (given.shape[0] !== rows) {
      throw new ShapeError(`${CALLER}: '${argument}' [${given.shape}] must have one row per view row (${rows}, views [${views.shape}])`);
    }
    return given;
  }
  const drawn = model.drawMask(rows, views.shape[2], random);
  if (drawn !== undefined) owned.push(drawn);
  return drawn;
}

// tfjs-core's Node bundle registers no gradient functions; say how to get them instead of tfjs' bare message.
function withGradientAdvice<T>(run: () => T): T {
  try {
    return run();
  } catch (error) {
    if (error instanceof Error && /gradient function not found/.test(error.message)) {
      throw new Error(
        `${CALLER}: ${error.message} tfjs-core's Node bundle registers no gradient functions: import '@tensorflow/tfjs-layers' (or '@tensorflow/tfjs') once before training`,
        { cause: error },
      );
    }
    throw error;
  }
}

function describe(value: unknown): unknown {
  return value instanceof tf.Tensor ? `${value.dtype} tensor [${value.shape}]` : value;
}
