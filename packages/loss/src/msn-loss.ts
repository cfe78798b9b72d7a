import * as tf from '@tensorflow/tfjs-core';
import { evaluatePrior, powerLawPrior, type Prior } from '@msn/priors';
import type { AllReduceSum } from '@msn/sinkhorn';
import { averageAcrossProcesses } from './average-across-processes';
import { InvalidArgumentError, ShapeError, assertInteger, assertNonNegativeFinite, assertPositiveFinite } from '@msn/errors';
import { normalizeRows } from './normalize-rows';
import { prototypeLogits } from './prototype-probabilities';
import { regularizationLoss } from './regularization-loss';
import { targetProbabilities } from './target-probabilities';
import { assertFinite, assertFloatTensor } from './validate';

/**
 * What the regulariser pulls the mean anchor probabilities q towards:
 * - `'uniform'`: MSN's me-max, KL(q ‖ uniform);
 * - `'power_law'`: PMSN, KL(p ‖ q) with pₖ ∝ k^(−powerLawExponent);
 * - a {@link Prior} function: PMSN with a custom prior, KL(prior(q) ‖ q).
 */
export type TargetDistribution = 'uniform' | 'power_law' | Prior;

/** Options of {@link MSNLoss}; names and defaults are the reference's. */
export interface MSNLossOptions {
  /**
   * τ of the softmax over prototype similarities, for anchors and targets.
   * @default 0.1
   */
  temperature?: number | undefined;
  /**
   * Sinkhorn iterations on the sharpened target probabilities; 0 skips Sinkhorn.
   * @default 3
   */
  sinkhornIterations?: number | undefined;
  /**
   * λ, the weight of the regulariser; 0 leaves it out of the loss (it is still reported by
   * {@link MSNLoss.forwardWithDetails}).
   * @default 1
   */
  regularizationWeight?: number | undefined;
  /**
   * Weight of the mean per-sample entropy of the anchor probabilities, added to the loss (the original MSN code's
   * `use_ent` / `ent_weight`; lightly has no such term). With me-max it maximises the mutual information between
   * images and prototypes: confident per-image predictions, balanced on average, which keeps training away from
   * the uniform fixed point (every prediction ≈ 1/K, loss ≈ ln K). 0 leaves it out, as the reference does.
   * @default 0
   */
  entropyWeight?: number;
  /**
   * The regulariser's target distribution; see {@link TargetDistribution}.
   * @default 'uniform'
   */
  targetDistribution?: TargetDistribution;
  /**
   * Exponent of the power-law prior, used when `targetDistribution` is `'power_law'`.
   * @default 0.25
   */
  powerLawExponent?: number | undefined;
  /**
   * Computes Sinkhorn over the global batch and the regulariser on the mean anchor probabilities averaged
   * over all processes, through `allReduce`. Without `allReduce` this is single-process (world size 1), as
   * the reference behaves when no process group exists.
   * @default false
   */
  gatherDistributed?: boolean;
  /**
   * Synchronously sums a tensor over all processes (supplied by the distributed trainer). Used only when
   * `gatherDistributed` is true; every process must make the same calls in the same order.
   */
  allReduce?: AllReduceSum | undefined;
}

/** Every part of one loss evaluation; all tensors belong to the caller (dispose them). */
// A type alias rather than an interface, so it is a tf.TensorContainer that tf.tidy can return.
export type MSNLossDetails = {
  /** The loss: `crossEntropy + regularizationWeight · regLoss` (just `crossEntropy` when the weight is 0). */
  loss: tf.Scalar;
  /** Mean over anchors of Σₖ −targetProbs[r mod N, k] · log anchorProbs[r, k]. */
  crossEntropy: tf.Scalar;
  /** The regulariser before weighting (me-max or KL(prior ‖ q)). */
  regLoss: tf.Scalar;
  /** Mean over anchor rows of the entropy of `anchorProbs` (weighted into the loss by `entropyWeight`). */
  anchorEntropy: tf.Scalar;
  /** softmax((â · p̂ᵀ) / τ), `[N·V, K]`. */
  anchorProbs: tf.Tensor2D;
  /** q, the mean of `anchorProbs` over rows `[K]`; averaged over processes when distributed. */
  meanAnchorProbs: tf.Tensor1D;
  /** Sharpened (and Sinkhorn-balanced) target probabilities `[N, K]`; carry no gradient. */
  targetProbs: tf.Tensor2D;
  /** The prior `[K]` for PMSN (`'power_law'` or a custom prior); absent for `'uniform'`. */
  prior?: tf.Tensor1D;
};

interface ComputeRequest {
  anchors: tf.Tensor;
  targets: tf.Tensor;
  prototypes: tf.Tensor;
  targetSharpenTemperature: number;
  /** Compute every part, the regulariser even when its weight is 0; else only what the loss needs. */
  details: boolean;
}

/**
 * The MSN loss (Masked Siamese Networks), with PMSN's prior matching through `targetDistribution`,
 * numerically identical to lightly's `MSNLoss`:
 *
 * 1. anchors, targets and prototypes are L2-normalised per row;
 * 2. anchorProbs = softmax((â · p̂ᵀ) / τ);
 * 3. targetProbs = Sinkhorn(sharpen(softmax((t̂ · p̂ᵀ) / τ), T)), with **no gradient** (neither to targets nor,
 *    through this branch, to prototypes);
 * 4. crossEntropy = mean over anchor rows r of H(targetProbs[r mod N], anchorProbs[r]) (anchors are view-major:
 *    rows [v·N, (v+1)·N) are view v);
 * 5. loss = crossEntropy + λ · regLoss(mean of anchorProbs), see {@link regularizationLoss}, plus
 *    `entropyWeight` · the mean entropy of anchorProbs when that weight is set (0 by default, as the reference).
 *
 * Prototypes receive gradient only through anchorProbs. The object owns no tensors.
 *
 * @example
 * const criterion = new MSNLoss();                                          // me-max
 * const pmsn = new MSNLoss({ targetDistribution: 'power_law', powerLawExponent: 0.25 });
 * const grads = tf.grads((a, p) => criterion.forward(a, targets, p))([anchors, prototypes]);
 * @throws {InvalidArgumentError} (constructor) for an option out of range or of the wrong kind.
 */
export class MSNLoss {
  /** Names this loss in error messages; subclasses override it. */
  static readonly lossName: string = 'MSNLoss';

  readonly temperature: number;
  readonly sinkhornIterations: number;
  readonly regularizationWeight: number;
  readonly entropyWeight: number;
  readonly targetDistribution: TargetDistribution;
  readonly powerLawExponent: number;
  readonly gatherDistributed: boolean;
  readonly allReduce: AllReduceSum | undefined;
  /** The power law or the user's prior; undefined for me-max. */
  private readonly prior: Prior | undefined;
  /** True for a prior we built (known valid, so its output is not read back and checked). */
  private readonly builtInPrior: boolean;
  private readonly lossName: string;

  constructor(options: MSNLossOptions = {}) {
    this.lossName = (new.target as typeof MSNLoss).lossName;
    const caller = this.lossName;
    if (options === null || typeof options !== 'object') {
      throw new InvalidArgumentError({ caller, argument: 'options', value: options, expected: 'an options object' });
    }
    const {
      temperature = 0.1,
      sinkhornIterations = 3,
      regularizationWeight = 1,
      entropyWeight = 0,
      targetDistribution = 'uniform',
      powerLawExponent = 0.25,
      gatherDistributed = false,
      allReduce,
    } = options;
    assertPositiveFinite(caller, 'temperature', temperature);
    assertInteger(caller, 'sinkhornIterations', sinkhornIterations);
    assertNonNegativeFinite(caller, 'regularizationWeight', regularizationWeight);
    assertNonNegativeFinite(caller, 'entropyWeight', entropyWeight);
    assertNonNegativeFinite(caller, 'powerLawExponent', powerLawExponent);
    if (targetDistribution !== 'uniform' && targetDistribution !== 'power_law' && typeof targetDistribution !== 'function') {
      throw new InvalidArgumentError({
        caller,
        argument: 'targetDistribution',
        value: targetDistribution,
        expected: `'uniform', 'power_law' or a prior function (meanAnchorProbs: Tensor1D) => Tensor1D`,
      });
    }
    if (typeof gatherDistributed !== 'boolean') {
      throw new InvalidArgumentError({ caller, argument: 'gatherDistributed', value: gatherDistributed, expected: 'a boolean' });
    }
    if (allReduce !== undefined && typeof allReduce !== 'function') {
      throw new InvalidArgumentError({
        caller,
        argument: 'allReduce',
        value: allReduce,
        expected: 'a function (tensor: Tensor) => Tensor summing over all processes',
      });
    }
    this.temperature = temperature;
    this.sinkhornIterations = sinkhornIterations;
    this.regularizationWeight = regularizationWeight;
    this.entropyWeight = entropyWeight;
    this.targetDistribution = targetDistribution;
    this.powerLawExponent = powerLawExponent;
    this.gatherDistributed = gatherDistributed;
    this.allReduce = allReduce;
    this.builtInPrior = targetDistribution === 'power_law';
    this.prior = targetDistribution === 'uniform' ? undefined : targetDistribution === 'power_law' ? powerLawPrior(powerLawExponent) : targetDistribution;
  }

  /**
   * The loss for one batch.
   *
   * Tensors are typed `tf.Tensor` (as most tfjs ops return) and checked at run time.
   *
   * @param anchors - Anchor embeddings `[N·V, D]`, view-major (row r pairs with target r mod N).
   * @param targets - Target embeddings `[N, D]`; they receive no gradient.
   * @param prototypes - Prototypes `[K, D]`; they receive gradient through the anchors' probabilities.
   * @param targetSharpenTemperature - T of the sharpening of the target probabilities. @default 0.25
   * @returns The scalar loss (owned by the caller).
   * @throws {ShapeError} when a tensor is not a non-empty matrix, the anchors' row count is not a multiple of
   * the targets', or the last dimensions differ.
   * @throws {InvalidArgumentError} when `targetSharpenTemperature` is not > 0, a tensor is not float32 or holds
   * NaN/Infinity, or a custom prior returns an invalid distribution.
   */
  forward(anchors: tf.Tensor, targets: tf.Tensor, prototypes: tf.Tensor, targetSharpenTemperature = 0.25): tf.Scalar {
    return tf.tidy(() => this.compute({ anchors, targets, prototypes, targetSharpenTemperature, details: false }).loss);
  }

  /**
   * Like {@link MSNLoss.forward}, returning every part of the computation (for tests and training logs).
   * The regulariser is computed even when its weight is 0. Leak-free: dispose the returned tensors
   * (`tf.dispose(Object.values(details))`).
   */
  forwardWithDetails(anchors: tf.Tensor, targets: tf.Tensor, prototypes: tf.Tensor, targetSharpenTemperature = 0.25): MSNLossDetails {
    return tf.tidy(() => {
      const details = this.compute({ anchors, targets, prototypes, targetSharpenTemperature, details: true });
      // A custom prior may return a tensor it keeps (or q itself); hand out our own reference.
      return details.prior === undefined ? details : { ...details, prior: tf.clone(details.prior) };
    });
  }

  private compute(request: ComputeRequest & { details: true }): MSNLossDetails;
  private compute(request: ComputeRequest): Pick<MSNLossDetails, 'loss'>;
  private compute(request: ComputeRequest): Pick<MSNLossDetails, 'loss'> | MSNLossDetails {
    const caller = `${this.lossName}.forward`;
    this.validateInputs(caller, request);
    // Validated: float32 matrices [N·V, D], [N, D], [K, D].
    const anchors = request.anchors as tf.Tensor2D;
    const targets = request.targets as tf.Tensor2D;
    const prototypes = request.prototypes as tf.Tensor2D;
    const { targetSharpenTemperature } = request;
    const numViews = anchors.shape[0] / targets.shape[0];
    const distributed = this.gatherDistributed ? this.allReduce : undefined;

    const normalizedAnchors = normalizeRows(anchors);
    const normalizedPrototypes = normalizeRows(prototypes);
    // log-softmax is exact where softmax underflows; anchorProbs = exp of it, so both share one gradient path.
    const logAnchorProbs = tf.logSoftmax(prototypeLogits(normalizedAnchors, normalizedPrototypes, this.temperature));
    const anchorProbs = tf.exp(logAnchorProbs) as tf.Tensor2D;
    const targetProbs = targetProbabilities(normalizeRows(targets), normalizedPrototypes, {
      temperature: this.temperature,
      sharpenTemperature: targetSharpenTemperature,
      sinkhornIterations: this.sinkhornIterations,
      allReduce: distributed,
    });

    // Anchor row r = v·N + n pairs with target n: sum the views' log-probabilities, then one product with the
    // targets (instead of tiling the targets V times).
    const [numTargets, numPrototypes] = targetProbs.shape;
    const logProbsSummedOverViews = tf.sum(tf.reshape(logAnchorProbs, [numViews, numTargets, numPrototypes]), 0);
    const crossEntropy = tf.div(tf.neg(tf.sum(tf.mul(targetProbs, logProbsSummedOverViews))), anchors.shape[0]) as tf.Scalar;

    const weight = this.regularizationWeight;
    const entropyWeight = this.entropyWeight;
    // Mean per-row entropy −Σₖ p log p, from the exact log-probabilities.
    const anchorEntropy = () => tf.div(tf.neg(tf.sum(tf.mul(anchorProbs, logAnchorProbs))), anchors.shape[0]) as tf.Scalar;
    // Without weight the regulariser does not affect the loss: skip it (and a custom prior) unless reported.
    if (weight === 0 && !request.details) {
      return { loss: entropyWeight > 0 ? (tf.add(crossEntropy, tf.mul(anchorEntropy(), entropyWeight)) as tf.Scalar) : crossEntropy };
    }
    const localMean = tf.mean(anchorProbs, 0) as tf.Tensor1D;
    const meanAnchorProbs = distributed ? averageAcrossProcesses(localMean, distributed) : localMean;
    const prior = this.evaluatePrior(caller, meanAnchorProbs);
    const regLoss = regularizationLoss(meanAnchorProbs, prior);
    let loss = weight > 0 ? (tf.add(crossEntropy, tf.mul(regLoss, weight)) as tf.Scalar) : tf.clone(crossEntropy);
    const entropy = entropyWeight > 0 || request.details ? anchorEntropy() : undefined;
    if (entropyWeight > 0) loss = tf.add(loss, tf.mul(entropy!, entropyWeight)) as tf.Scalar;
    if (!request.details) return { loss };
    const details: MSNLossDetails = { loss, crossEntropy, regLoss, anchorEntropy: entropy!, anchorProbs, meanAnchorProbs, targetProbs };
    if (prior !== undefined) details.prior = prior;
    return details;
  }

  private evaluatePrior(caller: string, meanAnchorProbs: tf.Tensor1D): tf.Tensor1D | undefined {
    if (this.prior === undefined) return undefined;
    if (this.builtInPrior) return this.prior(meanAnchorProbs);
    // @msn/priors throws the same @msn/errors classes, so its errors pass through unchanged.
    return evaluatePrior(this.prior, meanAnchorProbs, this.prior.name || 'targetDistribution', caller);
  }

  private validateInputs(caller: string, request: ComputeRequest): void {
    const { anchors, targets, prototypes, targetSharpenTemperature } = request;
    assertFloatTensor(caller, 'anchors', anchors, 2, '[N·V, D]');
    assertFloatTensor(caller, 'targets', targets, 2, '[N, D]');
    assertFloatTensor(caller, 'prototypes', prototypes, 2, '[K, D]');
    const dimension = anchors.shape[1];
    if (targets.shape[1] !== dimension || prototypes.shape[1] !== dimension) {
      throw new ShapeError(
        `${caller}: anchors [${anchors.shape}], targets [${targets.shape}] and prototypes [${prototypes.shape}] must share the last dimension`,
      );
    }
    if (anchors.shape[0] % targets.shape[0] !== 0) {
      throw new ShapeError(
        `${caller}: anchors [${anchors.shape}] must have a multiple of the ${targets.shape[0]} rows of targets [${targets.shape}] (numViews · batchSize rows, view-major)`,
      );
    }
    assertPositiveFinite(caller, 'targetSharpenTemperature', targetSharpenTemperature);
    assertFinite(caller, { anchors, targets, prototypes });
  }
}
