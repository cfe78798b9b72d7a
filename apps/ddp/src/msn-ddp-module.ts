// MSN / PMSN as a LightningModule that knows how to train data-parallel (the Trainer's ddp strategy calls
// setupDistributed): synchronised BatchNorm, distributed Sinkhorn and regulariser, gradients averaged before clipping.
import * as tf from '@tensorflow/tfjs-core';
import { MSNLoss, PMSNCustomLoss, PMSNLoss, type MSNLossOptions } from '@msn/loss';
import { evaluatePrior } from '@msn/priors';
import {
  MSNModel,
  ddp,
  msnTrainingStep,
  rankSeed,
  type AdamW,
  type DistributedMSN,
  type JsonValue,
  type LightningModule,
  type MSNConfigInput,
  type OptimizerConfiguration,
  type ProcessGroup,
  type StepContext,
  type StoredTensor,
  type TrainingStepOutput,
} from '@msn/trainer';
import type { PriorChoice } from './prior';

/** A DataLoader batch of MSNTransform views: view 0 the target, view 1 the anchor, the rest focal. */
export interface ViewBatch {
  views: readonly tf.Tensor4D[];
}

export interface DistributedMSNModuleOptions {
  config: MSNConfigInput;
  seed: number;
  prior: PriorChoice;
  powerLawExponent: number;
  learningRate: number;
  weightDecay: number;
  momentum: number;
  /** undefined: no clipping. */
  maxGradNorm: number | undefined;
}

export class DistributedMSNModule implements LightningModule<ViewBatch> {
  readonly model: MSNModel;
  readonly optimizer: AdamW;
  private criterion: MSNLoss;
  private distributed: DistributedMSN | undefined;

  constructor(private readonly options: DistributedMSNModuleOptions) {
    this.model = new MSNModel({ config: options.config, seed: options.seed });
    this.optimizer = this.model.createOptimizer({ learningRate: options.learningRate, weightDecay: options.weightDecay });
    const { prior } = options;
    // A user's prior is tried once at start-up, so a prior of the wrong length fails before any training.
    if (typeof prior === 'object') {
      const numPrototypes = this.model.config.numPrototypes;
      tf.tidy(() => void evaluatePrior(prior.prior, tf.fill([numPrototypes], 1 / numPrototypes) as tf.Tensor1D, prior.name, '--prior'));
    }
    this.criterion = this.createLoss({});
  }

  configureOptimizers(): OptimizerConfiguration {
    return { optimizer: this.optimizer };
  }

  /** Called by ddpStrategy on every rank (after rank 0's weights were broadcast to all). */
  setupDistributed(group: ProcessGroup): void {
    this.distributed = ddp(this.model, group, { broadcastWeights: false });
    this.criterion = this.createLoss(this.distributed.lossOptions);
  }

  async trainingStep(batch: ViewBatch, _batchIndex: number, context: StepContext): Promise<TrainingStepOutput> {
    const [targets, anchors, ...focal] = batch.views;
    const { seed, momentum, maxGradNorm } = this.options;
    // One mask seed per step, the same on every rank: each rank takes its rows of the combined batch's masks, so n
    // ranks with batch b draw the masks of one process with batch n·b (and a resumed run redraws them).
    const maskSeed = rankSeed(seed, 0, context.globalStep);
    const masks = this.distributed?.shardMasks(maskSeed, { anchors: anchors!, focal, batchSize: targets!.shape[0] });
    try {
      const result = await msnTrainingStep(
        this.model,
        {
          targets: targets!,
          anchors: anchors!,
          focal,
          ...(masks?.idxKeepAnchors === undefined ? {} : { idxKeepAnchors: masks.idxKeepAnchors }),
          ...(masks?.idxKeepFocal === undefined ? {} : { idxKeepFocal: masks.idxKeepFocal }),
        },
        {
          optimizer: this.optimizer,
          loss: this.criterion,
          momentum,
          maskSeed,
          ...(this.distributed === undefined ? {} : { reduceGradients: this.distributed.reduceGradients }),
          ...(maxGradNorm === undefined ? {} : { maxGradNorm }),
        },
      );
      return { loss: result.loss, logs: { cross_entropy: result.crossEntropy, reg_loss: result.regLoss, grad_norm: result.gradNorm }, batchSize: targets!.shape[0] };
    } finally {
      tf.dispose([masks?.idxKeepAnchors, masks?.idxKeepFocal].filter((mask): mask is tf.Tensor2D => mask !== undefined));
    }
  }

  stateDict(): Map<string, tf.Variable> {
    return this.model.stateDict();
  }

  loadStateDict(tensors: ReadonlyMap<string, StoredTensor>): void {
    this.model.loadStateDict(tensors);
  }

  checkpointMetadata(): Record<string, string> {
    return this.model.checkpointMetadata();
  }

  trainingState(): JsonValue {
    return { seed: this.options.seed };
  }

  loadTrainingState(state: JsonValue): void {
    const seed = (state as { seed?: unknown } | null)?.seed;
    if (seed !== this.options.seed) throw new Error(`the checkpoint was trained with --seed ${String(seed)}, this run has --seed ${this.options.seed}: resume with the same seed`);
  }

  dispose(): void {
    this.optimizer.dispose();
    this.model.dispose();
  }

  private createLoss(distributed: Pick<MSNLossOptions, 'gatherDistributed' | 'allReduce'>): MSNLoss {
    const { prior, powerLawExponent } = this.options;
    if (prior === 'uniform') return new MSNLoss(distributed);
    if (prior === 'power_law') return new PMSNLoss({ powerLawExponent, ...distributed });
    return new PMSNCustomLoss({ targetDistribution: prior.prior, ...distributed });
  }
}
