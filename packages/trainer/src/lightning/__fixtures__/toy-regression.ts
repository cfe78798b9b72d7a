// A tiny linear-regression LightningModule and deterministic loader for Trainer tests (gradients in closed form,
// so no autodiff registration is needed, also in child processes). Its random feature mask each step comes from a
// checkpointed RNG, so exact resumption also tests training-state restore.
import * as tf from '@tensorflow/tfjs-core';
import { AdamW } from '../../optim/adamw';
import type { JsonValue, StoredTensor } from '../../optim/optimizer-state';
import { warmupCosineSchedule } from '../../schedules/warmup-cosine-schedule';
import type { LightningModule, Metrics, OptimizerConfiguration, StepContext, TrainLoader, TrainingStepOutput } from '../lightning-module';

export interface ToyBatch {
  x: tf.Tensor2D;
  y: tf.Tensor2D;
}

const DIMS = 3;
const BATCH = 8;

function nextRandom(state: { value: number }): number {
  state.value = (state.value + 0x6d2b79f5) >>> 0;
  let mixed = Math.imul(state.value ^ (state.value >>> 15), 1 | state.value);
  mixed = (mixed + Math.imul(mixed ^ (mixed >>> 7), 61 | mixed)) ^ mixed;
  return ((mixed ^ (mixed >>> 14)) >>> 0) / 4294967296;
}

/** Batches depend only on (seed, epoch, batch index). */
export class ToyLoader implements TrainLoader<ToyBatch> {
  /** (epoch, index) of every batch built, in order. */
  readonly produced: [number, number][] = [];

  constructor(
    readonly length = 4,
    readonly seed = 1,
  ) {}

  *batches({ epoch }: { epoch: number }): Iterable<ToyBatch> {
    for (let index = 0; index < this.length; index++) yield this.batch(epoch, index);
  }

  protected batch(epoch: number, index: number): ToyBatch {
    this.produced.push([epoch, index]);
    const state = { value: this.seed * 7919 + epoch * 104729 + index * 1299709 };
    const x = Array.from({ length: BATCH * DIMS }, () => nextRandom(state) * 2 - 1);
    const y = Array.from(
      { length: BATCH },
      (_, row) => x[row * DIMS]! - 2 * x[row * DIMS + 1]! + 0.5 * x[row * DIMS + 2]! + 0.3 + 0.05 * (nextRandom(state) - 0.5),
    );
    return { x: tf.tensor2d(x, [BATCH, DIMS]), y: tf.tensor2d(y, [BATCH, 1]) };
  }
}

/** The same batches, from `startBatch` on without building the ones before (as @msn/data's DataLoader). */
export class SkippingToyLoader extends ToyLoader {
  readonly supportsStartBatch = true;

  override *batches({ epoch, startBatch = 0 }: { epoch: number; startBatch?: number }): Iterable<ToyBatch> {
    for (let index = startBatch; index < this.length; index++) yield this.batch(epoch, index);
  }
}

export class ToyRegression implements LightningModule<ToyBatch> {
  readonly weight: tf.Variable;
  readonly bias: tf.Variable;
  readonly events: string[] = [];
  stepDelayMilliseconds = 0;
  private readonly random = { value: 12345 };
  private optimizer: AdamW | undefined;

  constructor(initialSeed = 0) {
    const state = { value: initialSeed };
    this.weight = tf.variable(
      tf.tensor2d(
        Array.from({ length: DIMS }, () => nextRandom(state) - 0.5),
        [DIMS, 1],
      ),
    );
    this.bias = tf.variable(tf.tensor1d([0]));
  }

  configureOptimizers(): OptimizerConfiguration {
    this.optimizer?.dispose();
    this.optimizer = new AdamW({ weight: this.weight, bias: this.bias }, { learningRate: 0.05, weightDecay: 0.01 });
    return {
      optimizer: this.optimizer,
      learningRate: warmupCosineSchedule({ startValue: 0.01, referenceValue: 0.1, finalValue: 0.001, warmupSteps: 3, totalSteps: 60 }),
    };
  }

  async trainingStep(batch: ToyBatch, batchIndex: number, context: StepContext): Promise<TrainingStepOutput> {
    this.events.push(`step ${context.globalStep} epoch ${context.epoch} batch ${batchIndex}`);
    // Random feature dropout drawn from the module's RNG (checkpointed through trainingState).
    const keep = Array.from({ length: DIMS }, () => (nextRandom(this.random) < 0.8 ? 1 : 0));
    const [loss, gradWeight, gradBias] = tf.tidy(() => {
      const x = tf.mul(batch.x, tf.tensor2d(keep, [1, DIMS]));
      const residual = tf.sub(tf.add(tf.matMul(x, this.weight), this.bias), batch.y);
      const scale = tf.scalar(2 / batch.x.shape[0]);
      return [tf.mean(tf.square(residual)), tf.mul(tf.matMul(x, residual, true, false), scale), tf.mul(tf.sum(residual, 0), scale)];
    });
    this.optimizer!.step({ weight: gradWeight, bias: gradBias });
    tf.dispose([gradWeight, gradBias]);
    if (this.stepDelayMilliseconds > 0) await new Promise((resolve) => setTimeout(resolve, this.stepDelayMilliseconds));
    return { loss, logs: { bias: (await this.bias.data())[0]! }, batchSize: batch.x.shape[0] };
  }

  validationStep(batch: ToyBatch): Metrics {
    return { val_loss: tf.tidy(() => tf.mean(tf.square(tf.sub(tf.add(tf.matMul(batch.x, this.weight), this.bias), batch.y))).dataSync()[0]!) };
  }

  stateDict(): Record<string, tf.Tensor> {
    return { 'linear.weight': this.weight, 'linear.bias': this.bias };
  }

  loadStateDict(tensors: ReadonlyMap<string, StoredTensor>): void {
    for (const [name, variable] of [
      ['linear.weight', this.weight],
      ['linear.bias', this.bias],
    ] as const) {
      const stored = tensors.get(name)!;
      tf.tidy(() => variable.assign(tf.tensor(stored.data, stored.shape)));
    }
  }

  trainingState(): JsonValue {
    return { random: this.random.value };
  }

  loadTrainingState(state: JsonValue): void {
    this.random.value = (state as { random: number }).random;
  }

  onTrainEpochStart(epoch: number): void {
    this.events.push(`epoch start ${epoch}`);
  }

  onTrainEpochEnd(epoch: number): void {
    this.events.push(`epoch end ${epoch}`);
  }

  dispose(): void {
    this.optimizer?.dispose();
    tf.dispose([this.weight, this.bias]);
  }
}
