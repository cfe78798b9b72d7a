// Data-parallel MSN: the setup that makes ranks of a process group train one model on one combined batch.
import type * as tf from '@tensorflow/tfjs-core';
import { localBatchStatistics, synchronizedBatchStatistics, type AllReduceSum, type BatchStatisticsFunction } from '@msn/vit';
import { InvalidArgumentError, assertInteger, assertOptions } from '@msn/errors';
import { averageGradients } from '../distributed/average-gradients';
import { broadcastVariables } from '../distributed/broadcast-variables';
import { differentiableAllReduce } from '../distributed/differentiable-all-reduce';
import type { ProcessGroup } from '../distributed/process-group';
import type { MSNModel } from '../msn/msn-model';
import { DistributedOptimizer, type GradientStepOptimizer } from './distributed-optimizer';
import { rankSeed } from './rank-seed';
import { shardMasks, type ShardMasks, type ShardMasksOptions } from './shard-masks';

/** Options of {@link ddp}. */
export interface DDPOptions {
  /**
   * Overwrite every variable of the model (both encoders' parameters and BatchNorm buffers, the mask tokens, the
   * prototypes) with rank `root`'s values, so all ranks start identical. Turn off only when every rank already
   * loaded the same weights bit for bit.
   * @default true
   */
  broadcastWeights?: boolean;
  /** The rank whose weights win. @default 0 */
  root?: number;
  /**
   * Replace the batch statistics of both projection heads' BatchNorm layers (anchor and target) by statistics over
   * every rank's batch (SyncBatchNorm), so normalisation, its gradient and the running statistics are those of the
   * combined batch.
   * @default true
   */
  synchronizeBatchNorm?: boolean;
}

/** Options for `MSNLoss` / `PMSNLoss` / `PMSNCustomLoss` of `@msn/loss` that make the loss distributed. */
export interface DistributedLossOptions {
  /** Sinkhorn over the global batch; the regulariser on the mean anchor probabilities of all ranks. */
  gatherDistributed: true;
  /** Differentiable sum over the ranks (forward all-reduce, backward all-reduce of the gradient). */
  allReduce: AllReduceSum;
}

/** What {@link ddp} returns: the pieces a data-parallel MSN training loop plugs in. */
export interface DistributedMSN {
  readonly group: ProcessGroup;
  readonly rank: number;
  readonly worldSize: number;
  /** Differentiable sum over ranks (`differentiableAllReduce(group, ·)`), the hook `@msn/loss` and `@msn/vit` take. */
  readonly allReduce: AllReduceSum;
  /**
   * Spread into the loss's options: `new PMSNLoss({ powerLawExponent, ...distributed.lossOptions })`.
   */
  readonly lossOptions: DistributedLossOptions;
  /**
   * Mean of the gradients over ranks (one coalesced all-reduce, names sorted), for `msnTrainingStep`'s
   * `reduceGradients` option: clipping and the reported norm then see the combined batch's gradient. Returns new
   * tensors; the argument stays the caller's.
   */
  reduceGradients(gradients: ReadonlyMap<string, tf.Tensor>): Map<string, tf.Tensor>;
  /**
   * Wraps an optimiser so its `step(gradients)` first averages the gradients over ranks: for loops that call the
   * optimiser themselves. (With `msnTrainingStep` prefer `reduceGradients`, which averages before clipping.)
   */
  wrapOptimizer<O extends GradientStepOptimizer>(optimizer: O): DistributedOptimizer<O>;
  /**
   * A seed for this rank's random draws (masks) at `step` of a run seeded with `seed`: different on every rank and
   * every step, the same after a resume. Use it as `msnTrainingStep`'s `maskSeed`.
   */
  maskSeed(seed: number, step: number): number;
  /**
   * This rank's masks, drawn for the combined batch from `seed` (the same on every rank) and split by the
   * interleaved sample assignment of a `DistributedSampler`: with them, and the same seed as `maskSeed` in one
   * process, world size n with batch b trains exactly like one process with batch n·b. See {@link shardMasks}.
   */
  shardMasks(seed: number, views: Omit<ShardMasksOptions, 'rank' | 'worldSize'>): ShardMasks;
  /**
   * Puts the heads' local batch statistics back (e.g. to run training-mode forwards on one rank after training).
   * Inference (`model.embed`) never needs this: it normalises with the running statistics.
   */
  detach(): void;
}

const KNOWN = ['broadcastWeights', 'root', 'synchronizeBatchNorm'] as const;

/**
 * Makes an {@link MSNModel} train data-parallel over the ranks of `group` (PyTorch's DDP plus the MSN reference's
 * distributed pieces). Call it on every rank, after building (or loading) the model and before the first step:
 *
 * - broadcasts every variable from rank `root` (parameters, BatchNorm running statistics, prototypes), so ranks start
 *   bit-identical;
 * - installs synchronised BatchNorm in the anchor and target projection heads (statistics over the combined batch,
 *   two all-reduces per BatchNorm call, differentiable);
 * - provides `lossOptions` (`gatherDistributed: true` with a differentiable all-reduce: Sinkhorn over the combined
 *   batch, the regulariser on the all-rank mean anchor probabilities with pass-through gradient, as the MSN reference),
 *   `reduceGradients` (gradient mean over ranks before clipping and the optimiser step) and per-rank mask seeds.
 *
 * With per-rank batches of b samples, a step then computes the loss, the gradients, the parameter update and the
 * BatchNorm statistics of one process training on the 2b samples (see the trainer README, "DDP", for the proof and
 * the test that checks it). The target encoder's EMA needs nothing: identical anchors give identical targets.
 *
 * @example
 * const group = await initProcessGroup();
 * const model = new MSNModel({ config, seed: 0 });
 * const distributed = ddp(model, group);
 * const loss = new PMSNLoss({ powerLawExponent: 0.25, ...distributed.lossOptions });
 * const optimizer = model.createOptimizer({ learningRate: 1e-3 });
 * await msnTrainingStep(model, myShardOfTheBatch, {
 *   optimizer, loss, reduceGradients: distributed.reduceGradients, maskSeed: distributed.maskSeed(seed, step),
 * });
 * @throws {InvalidArgumentError} for an unknown option or a root outside the group.
 * @throws {DistributedError} when the weight broadcast fails (a rank died, different model shapes: `collective-mismatch`).
 */
export function ddp(model: MSNModel, group: ProcessGroup, options: DDPOptions = {}): DistributedMSN {
  const caller = 'ddp';
  assertOptions(caller, options, KNOWN, '{ broadcastWeights?, root?, synchronizeBatchNorm? }');
  if (typeof group !== 'object' || group === null || typeof group.allReduce !== 'function') {
    throw new InvalidArgumentError({ caller, argument: 'group', value: group, expected: 'a ProcessGroup (initProcessGroup())' });
  }
  const { broadcastWeights = true, root = 0, synchronizeBatchNorm = true } = options;
  assertInteger(caller, 'root', root, 0);
  if (root >= group.worldSize) {
    throw new InvalidArgumentError({ caller, argument: 'root', value: root, expected: `a rank below the world size ${group.worldSize}` });
  }
  for (const [argument, value] of [
    ['broadcastWeights', broadcastWeights],
    ['synchronizeBatchNorm', synchronizeBatchNorm],
  ] as const) {
    if (typeof value !== 'boolean') throw new InvalidArgumentError({ caller, argument, value, expected: 'a boolean' });
  }

  // Every variable, buffers included: lightly's DDP broadcasts buffers too, and the target head's running statistics
  // must agree for evaluation.
  if (broadcastWeights) broadcastVariables(group, [...model.namedVariables().values()], root);

  const allReduce: AllReduceSum = (tensor) => differentiableAllReduce(group, tensor);
  const heads = [model.anchorHead, model.targetHead];
  const previous: BatchStatisticsFunction[] = heads.map((head) => head.batchStatistics);
  if (synchronizeBatchNorm) {
    const synchronized = synchronizedBatchStatistics(allReduce);
    for (const head of heads) head.batchStatistics = synchronized;
  }
  const { rank, worldSize } = group;

  return {
    group,
    rank,
    worldSize,
    allReduce,
    lossOptions: { gatherDistributed: true, allReduce },
    reduceGradients: (gradients) => {
      const averaged = averageGradients(group, Object.fromEntries(gradients));
      return new Map(Object.entries(averaged));
    },
    wrapOptimizer: (optimizer) => new DistributedOptimizer(optimizer, group),
    maskSeed: (seed, step) => rankSeed(seed, rank, step),
    shardMasks: (seed, views) => shardMasks(model, seed, { ...views, rank, worldSize }),
    detach: () => {
      heads.forEach((head, index) => (head.batchStatistics = previous[index] ?? localBatchStatistics));
    },
  };
}
