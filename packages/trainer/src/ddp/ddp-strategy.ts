// The `ddp` strategy of the Lightning-like Trainer: one process per rank, each on its shard of every batch.
import * as tf from '@tensorflow/tfjs-core';
import type { LoadedCheckpoint } from '../checkpoint/checkpoint-files';
import type { TensorCodec } from '../checkpoint/tensor-codec';
import type { ProcessGroup } from '../distributed/process-group';
import { InvalidArgumentError, assertOptions } from '@msn/errors';
import type { LightningModule, Metrics } from '../lightning/lightning-module';
import type { NamedGradients } from '../optim/adamw';
import type { StoredTensor, TrainerOptimizer } from '../optim/optimizer-state';
import { loadCheckpointFromRoot } from './checkpoint-broadcast';
import { averageNamedGradients } from './distributed-optimizer';
import { reduceNamedValues } from './metric-reduction';
import type { StepReport, TrainerStrategy } from './trainer-strategy';

/** Options of {@link ddpStrategy}. */
export interface DDPStrategyOptions {
  /**
   * Copy rank 0's weights (`module.stateDict()`, buffers included) to every rank before the first step (after any
   * checkpoint was restored), so ranks start identical whatever their initialisation.
   * @default true
   */
  broadcastWeights?: boolean;
}

const KNOWN = ['broadcastWeights'] as const;
const BATCH_SIZE = '\u0000batchSize';

/**
 * Distributed data-parallel training for the {@link Trainer} over the ranks of `group` (start one process per rank,
 * e.g. `mpirun -np 2 node train.js`). What it does, on top of the Trainer's rank-0-only callbacks, loggers and checkpoint writes:
 *
 * - resuming: rank 0 reads the checkpoint and every rank restores the same contents (no shared file system needed);
 * - setup: broadcasts rank 0's weights, then calls `module.setupDistributed(group)` when the module has it (the module
 *   makes itself data-parallel: `MSNModule` installs `ddp(model, group)`, with synchronised BatchNorm, the distributed
 *   loss, the combined batch's masks and gradient averaging before clipping; `module.teardownDistributed()` undoes it
 *   when the fit ends); otherwise averages the gradients every call of the configured optimiser's `step(gradients)`
 *   receives (PyTorch DDP's behaviour for any model);
 * - logging: the loss and logs of every step, and validation metrics, are averaged over ranks; batch sizes add up, so
 *   the progress bar shows the job's images/s;
 * - control: a stop (EarlyStopping) or interrupt (Ctrl-C, SIGTERM from the launcher) on any rank stops all ranks after
 *   the same step; the check after each step also keeps other ranks waiting until rank 0's checkpoint is written.
 *
 * Every rank's loader must yield the same number of batches per epoch (a `DistributedSampler` does).
 *
 * @example
 * const group = await initProcessGroup();   // MPI under mpirun / srun --mpi=pmix / an MPIJob
 * const loader = new DataLoader(dataset, { batchSize: 32, sampler: new DistributedSampler({ datasetLength: dataset.length, rank: group.rank, worldSize: group.worldSize }), transform });
 * const trainer = new Trainer({ maxSteps: 1000, strategy: ddpStrategy(group), callbacks: [new ModelCheckpoint({ dirpath: 'runs/ckpt', everyNTrainSteps: 100 })] });
 * await trainer.fit(module, loader, { ckptPath });
 * group.destroy();
 * @throws {InvalidArgumentError} for an unknown option or something that is not a process group.
 */
export function ddpStrategy(group: ProcessGroup, options: DDPStrategyOptions = {}): DDPStrategy {
  return new DDPStrategy(group, options);
}

/** The strategy {@link ddpStrategy} returns. */
export class DDPStrategy implements TrainerStrategy {
  readonly name = 'ddp';
  readonly group: ProcessGroup;
  readonly broadcastWeights: boolean;
  private restoreOptimizer: (() => void) | undefined;
  private distributedModule: LightningModule<never, never> | undefined;

  constructor(group: ProcessGroup, options: DDPStrategyOptions = {}) {
    const caller = 'ddpStrategy';
    if (typeof group !== 'object' || group === null || typeof group.allGather !== 'function') {
      throw new InvalidArgumentError({ caller, argument: 'group', value: group, expected: 'a ProcessGroup (initProcessGroup())' });
    }
    assertOptions(caller, options, KNOWN, '{ broadcastWeights? }');
    const { broadcastWeights = true } = options;
    if (typeof broadcastWeights !== 'boolean')
      throw new InvalidArgumentError({ caller, argument: 'broadcastWeights', value: broadcastWeights, expected: 'a boolean' });
    this.group = group;
    this.broadcastWeights = broadcastWeights;
  }

  get rank(): number {
    return this.group.rank;
  }

  get worldSize(): number {
    return this.group.worldSize;
  }

  get isGlobalZero(): boolean {
    return this.group.rank === 0;
  }

  loadCheckpoint(ckptPath: string | undefined, codec: TensorCodec): Promise<LoadedCheckpoint | undefined> {
    return loadCheckpointFromRoot(this.group, ckptPath, codec);
  }

  /**
   * @throws {InvalidArgumentError} when the module's weights are not float32, or the module has no
   *   `setupDistributed` and its optimiser no `step(gradients)` to average.
   */
  async setup(module: LightningModule<never, never>, optimizer: TrainerOptimizer): Promise<void> {
    if (this.broadcastWeights) this.broadcastModuleWeights(module);
    if (typeof module.setupDistributed === 'function') {
      this.distributedModule = module;
      await module.setupDistributed(this.group);
      return;
    }
    const stepper = optimizer as TrainerOptimizer & { step?: (gradients: NamedGradients) => void };
    const step = stepper.step;
    if (typeof step !== 'function') {
      throw new InvalidArgumentError({
        caller: 'ddpStrategy',
        argument: 'module',
        value: 'a module without setupDistributed whose optimiser has no step(gradients)',
        expected: 'a module that implements setupDistributed(group), or an optimiser whose step(gradients) the strategy can average',
      });
    }
    const own = Object.hasOwn(stepper, 'step');
    const group = this.group;
    // Gradients are averaged on their way into the optimiser: the module stays unaware of the other ranks.
    stepper.step = (gradients: NamedGradients) => {
      const averaged = averageNamedGradients(group, gradients);
      try {
        step.call(stepper, averaged);
      } finally {
        tf.dispose(Object.values(averaged));
      }
    };
    this.restoreOptimizer = () => {
      if (own) stepper.step = step;
      else delete stepper.step;
    };
  }

  teardown(): void {
    this.restoreOptimizer?.();
    this.restoreOptimizer = undefined;
    this.distributedModule?.teardownDistributed?.();
    this.distributedModule = undefined;
  }

  reduceStep(report: StepReport): StepReport {
    const values: Record<string, number> = { ...report.logs, [BATCH_SIZE]: report.batchSize ?? Number.NaN };
    const reduced = reduceNamedValues(this.group, 'Trainer step metrics', { ...values, '\u0000loss': report.loss }, [BATCH_SIZE]);
    const { [BATCH_SIZE]: batchSize, '\u0000loss': loss, ...logs } = reduced;
    return { loss: loss!, logs, ...(Number.isNaN(batchSize) ? {} : { batchSize: batchSize! }) };
  }

  reduceMetrics(metrics: Metrics): Metrics {
    return reduceNamedValues(this.group, 'Trainer validation metrics', metrics);
  }

  anyRank(flags: readonly boolean[]): boolean[] {
    const counts = this.group.allReduce(Int32Array.from(flags, (flag) => (flag ? 1 : 0)));
    return Array.from(counts, (count) => count > 0);
  }

  broadcastObject<V>(value: V): V {
    return this.group.broadcastObject(value);
  }

  barrier(): Promise<void> {
    return this.group.barrierAsync();
  }

  private broadcastModuleWeights(module: LightningModule<never, never>): void {
    const source = module.stateDict();
    const entries = (source instanceof Map ? [...source] : Object.entries(source)) as [string, tf.Tensor][];
    entries.sort(([left], [right]) => (left < right ? -1 : left > right ? 1 : 0));
    for (const [name, tensor] of entries) {
      if (tensor.dtype !== 'float32') {
        throw new InvalidArgumentError({
          caller: 'ddpStrategy',
          argument: `module.stateDict()['${name}']`,
          value: `a ${tensor.dtype} tensor`,
          expected: 'float32 weights',
        });
      }
    }
    const flat = new Float32Array(entries.reduce((total, [, tensor]) => total + tensor.size, 0));
    if (this.isGlobalZero) {
      let offset = 0;
      for (const [, tensor] of entries) {
        flat.set(tensor.dataSync() as Float32Array, offset);
        offset += tensor.size;
      }
    }
    // One collective for every weight; a rank whose model differs in size fails with collective-mismatch.
    const received = this.group.broadcast(flat, 0);
    let offset = 0;
    const weights = new Map<string, StoredTensor>();
    for (const [name, tensor] of entries) {
      weights.set(name, { shape: [...tensor.shape], data: received.slice(offset, offset + tensor.size) });
      offset += tensor.size;
    }
    module.loadStateDict(weights);
  }
}
