// One rank of the Trainer's ddp strategy tests: the toy regression module on its shard of every batch.
// Started by mpirun; prints one JSON report line ({ ok, … } or { error }) and exits 0 or 1.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { DistributedError } from '../../distributed/distributed-error';
import { initProcessGroup } from '../../distributed/init-process-group';
import type { Callback } from '../../lightning/callback';
import { ModelCheckpoint } from '../../lightning/callbacks/model-checkpoint';
import { JsonLinesLogger } from '../../lightning/loggers/json-lines-logger';
import type { StepContext, TrainLoader, TrainingStepOutput } from '../../lightning/lightning-module';
import { Trainer } from '../../lightning/trainer';
import { ToyLoader, ToyRegression, type ToyBatch } from '../../lightning/__fixtures__/toy-regression';
import { ddpStrategy } from '../ddp-strategy';

export interface TrainerChildOptions {
  /** Per-rank output folder prefix: rank r writes under `${folder}/rank${r}` (rank 1 must write nothing). */
  folder: string;
  maxSteps: number;
  everyNTrainSteps?: number;
  /** Resume from here: a path, or 'last' for `${folder}/rank0/checkpoints/last` when it exists (restarts). */
  ckptPath?: string;
  /** Rank-specific ckptPath (other ranks' paths must not matter). */
  ckptPathOf?: Record<string, string>;
  /** This rank requests an interrupt (as Ctrl-C would) after step `interruptAt.step`. */
  interruptAt?: { rank: number; step: number };
  /** `victim` dies (SIGKILL) after `step` steps. */
  fault?: { victim: number; step: number };
}

/** The toy loader's batches, rows dealt out like a DistributedSampler (rank r gets rows r, r + W, …). */
export class ShardedToyLoader implements TrainLoader<ToyBatch> {
  private readonly inner = new ToyLoader();
  readonly length = this.inner.length;

  constructor(
    readonly rank: number,
    readonly worldSize: number,
  ) {}

  *batches(options: { epoch: number }): Iterable<ToyBatch> {
    for (const batch of this.inner.batches(options)) {
      const rows = Array.from({ length: batch.x.shape[0] / this.worldSize }, (_, index) => this.rank + index * this.worldSize);
      const shard = tf.tidy(() => {
        const indices = tf.tensor1d(rows, 'int32');
        return { x: tf.gather(batch.x, indices) as tf.Tensor2D, y: tf.gather(batch.y, indices) as tf.Tensor2D };
      });
      tf.dispose([batch.x, batch.y]);
      yield shard;
    }
  }
}

const options = JSON.parse(process.argv[2]!) as TrainerChildOptions;
// The launcher's rank until the group says (for reports of a failure before it exists).
let rank = Number(process.env.OMPI_COMM_WORLD_RANK ?? process.env.PMI_RANK ?? 0);
const started = Date.now();

class FaultyToy extends ToyRegression {
  trainer: Trainer | undefined;

  override async trainingStep(batch: ToyBatch, batchIndex: number, context: StepContext): Promise<TrainingStepOutput> {
    const { fault, interruptAt } = options;
    if (fault !== undefined && rank === fault.victim && context.globalStep === fault.step) process.kill(process.pid, 'SIGKILL');
    const output = await super.trainingStep(batch, batchIndex, context);
    if (interruptAt !== undefined && rank === interruptAt.rank && context.globalStep + 1 === interruptAt.step) this.trainer!.requestInterrupt();
    return output;
  }
}

try {
  await tf.setBackend('cpu');
  const group = await initProcessGroup();
  rank = group.rank;
  const folder = join(options.folder, `rank${group.rank}`);
  const batchSizes: number[] = [];
  const tensors: number[] = [];
  const probe: Callback = {
    onTrainBatchEnd: (_trainer, _module, output) => {
      batchSizes.push(output.batchSize ?? -1);
      tensors.push(tf.memory().numTensors);
    },
  };
  // Every rank gets the same callbacks and loggers (pointing at its own folder): the Trainer keeps rank 0's only.
  const trainer = new Trainer({
    maxSteps: options.maxSteps,
    strategy: ddpStrategy(group),
    callbacks: [new ModelCheckpoint({ dirpath: join(folder, 'checkpoints'), everyNTrainSteps: options.everyNTrainSteps ?? 3, keepLast: 10 }), probe],
    loggers: [new JsonLinesLogger(join(folder, 'metrics.jsonl'))],
    handleSignals: false,
  });
  // Different initial weights per rank: the strategy's broadcast must replace them with rank 0's.
  const module = new FaultyToy(group.rank * 17);
  module.trainer = trainer;
  const last = join(options.folder, 'rank0', 'checkpoints', 'last');
  const ckptPath = options.ckptPathOf?.[String(group.rank)] ?? (options.ckptPath === 'last' ? (existsSync(last) ? last : undefined) : options.ckptPath);
  const result = await trainer.fit(module, new ShardedToyLoader(group.rank, group.worldSize), { ckptPath });
  const report = {
    ok: true,
    rank: group.rank,
    result,
    resumed: ckptPath !== undefined,
    weight: Array.from(module.weight.dataSync()),
    bias: Array.from(module.bias.dataSync()),
    batchSizes,
    tensors,
    callbacks: trainer.callbacks.length,
    loggers: trainer.loggers.length,
    elapsedMs: Date.now() - started,
  };
  module.dispose();
  group.destroy();
  console.log(JSON.stringify(report));
} catch (error) {
  const details =
    error instanceof DistributedError
      ? { name: error.name, code: error.code, failedRank: error.failedRank, message: error.message }
      : { name: (error as Error).name, message: (error as Error).message };
  console.log(JSON.stringify({ error: details, rank, elapsedMs: Date.now() - started }));
  process.exitCode = 1;
}
