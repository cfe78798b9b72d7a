// lightly's MSNProjectionHead: Linear → BatchNorm → GELU → Linear → BatchNorm → GELU → Linear.
import * as tf from '@tensorflow/tfjs-core';
import { batchNorm1d, type BatchNormVariables } from './batch-norm';
import { localBatchStatistics, type BatchStatisticsFunction } from './batch-statistics';
import {
  InvalidArgumentError,
  ShapeError,
  assertBoolean,
  assertDtype,
  assertInRange,
  assertInteger,
  assertOptions,
  assertPositiveFinite,
  assertRank,
} from '@msn/errors';
import { gelu } from './gelu';
import { linear } from './linear';
import { resolveRandom } from '@msn/random';
import type { Random } from '@msn/random';
import { loadIntoVariables, prefixedVariables, type LoadStateDictOptions, type StateDict } from './state-dict';

export interface MSNProjectionHeadOptions {
  /** Width of the backbone output (the ViT's `hiddenDim`). */
  inputDim: number;
  /** @default 2048 */
  hiddenDim?: number;
  /** @default 256 */
  outputDim?: number;
  /**
   * Seeds the initial weights (torch's default Linear init). Without a seed, weights differ from run to run.
   * @default a random seed
   */
  seed?: number;
  /** @default 1e-5 */
  batchNormEps?: number;
  /** Weight of the new statistic in the running averages. @default 0.1 */
  batchNormMomentum?: number;
  /**
   * Computes training-mode batch statistics; replace with `synchronizedBatchStatistics(allReduce)` for SyncBatchNorm.
   * @default localBatchStatistics
   */
  batchStatistics?: BatchStatisticsFunction;
  /**
   * Prefix of the tfjs variable names, unique per process.
   * @default `msn_head_${counter}`
   */
  name?: string;
}

export interface MSNProjectionHeadForwardOptions {
  /**
   * Training mode: BatchNorm normalises with batch statistics and updates its running statistics (in place, once per
   * call). Evaluation mode uses the running statistics and changes nothing.
   * @default false
   */
  training?: boolean;
}

let instanceCounter = 0;

// State-dict layout of lightly's head (nn.Sequential indices; 2 and 5 are the GELUs).
const LINEAR_WITHOUT_BIAS = ['layers.0', 'layers.3'] as const;
const BATCH_NORMS = ['layers.1', 'layers.4'] as const;

/**
 * The MSN projection head of lightly (`MSNProjectionHead`), numerically identical in training and evaluation mode:
 * Linear(in→hidden, no bias) → BatchNorm1d → GELU(erf) → Linear(hidden→hidden, no bias) → BatchNorm1d → GELU →
 * Linear(hidden→out). Variables use the PyTorch state-dict names `layers.0.weight`, `layers.1.{weight, bias,
 * running_mean, running_var}`, `layers.3.weight`, `layers.4.…`, `layers.6.{weight, bias}`; the running statistics are
 * non-trainable. BatchNorm's batch statistics come from a replaceable function (see `synchronizedBatchStatistics`).
 *
 * @example
 * const head = new MSNProjectionHead({ inputDim: 384, seed: 0 });
 * const projections = head.forward(cls, { training: true }); // [B, 256]
 * head.dispose();
 */
export class MSNProjectionHead {
  readonly inputDim: number;
  readonly hiddenDim: number;
  readonly outputDim: number;
  readonly batchNormEps: number;
  readonly batchNormMomentum: number;
  /** The batch-statistics step of both BatchNorm layers; may be replaced at any time. */
  batchStatistics: BatchStatisticsFunction;
  readonly name: string;
  private readonly variables = new Map<string, tf.Variable>();
  private disposed = false;

  /**
   * @throws {InvalidArgumentError} for non-integer or non-positive sizes, `batchNormEps` ≤ 0, a momentum outside
   *   [0, 1], a `batchStatistics` that is not a function, or an invalid seed.
   */
  constructor(options: MSNProjectionHeadOptions) {
    const caller = 'MSNProjectionHead';
    assertOptions(
      caller,
      options,
      ['inputDim', 'hiddenDim', 'outputDim', 'seed', 'batchNormEps', 'batchNormMomentum', 'batchStatistics', 'name'],
      '{ inputDim, hiddenDim?, outputDim?, seed? }',
    );
    const { inputDim, hiddenDim = 2048, outputDim = 256, batchNormEps = 1e-5, batchNormMomentum = 0.1 } = options;
    assertInteger(caller, 'inputDim', inputDim, 1);
    assertInteger(caller, 'hiddenDim', hiddenDim, 1);
    assertInteger(caller, 'outputDim', outputDim, 1);
    assertPositiveFinite(caller, 'batchNormEps', batchNormEps);
    assertInRange(caller, 'batchNormMomentum', batchNormMomentum, 0, 1);
    const batchStatistics = options.batchStatistics ?? localBatchStatistics;
    if (typeof batchStatistics !== 'function') {
      throw new InvalidArgumentError({
        caller,
        argument: 'batchStatistics',
        value: batchStatistics,
        expected: 'a function (features) => { mean, variance, count }',
      });
    }
    const random = resolveRandom(caller, { seed: options.seed });
    this.inputDim = inputDim;
    this.hiddenDim = hiddenDim;
    this.outputDim = outputDim;
    this.batchNormEps = batchNormEps;
    this.batchNormMomentum = batchNormMomentum;
    this.batchStatistics = batchStatistics;
    this.name = options.name ?? `msn_head_${instanceCounter++}`;

    this.add('layers.0.weight', [hiddenDim, inputDim], torchLinearUniform(random, hiddenDim * inputDim, inputDim));
    this.addBatchNorm('layers.1', hiddenDim);
    this.add('layers.3.weight', [hiddenDim, hiddenDim], torchLinearUniform(random, hiddenDim * hiddenDim, hiddenDim));
    this.addBatchNorm('layers.4', hiddenDim);
    this.add('layers.6.weight', [outputDim, hiddenDim], torchLinearUniform(random, outputDim * hiddenDim, hiddenDim));
    this.add('layers.6.bias', [outputDim], torchLinearUniform(random, outputDim, hiddenDim));
  }

  /**
   * Projects backbone outputs `[B, inputDim]` to `[B, outputDim]`.
   *
   * @throws {ShapeError} when `x` is not `[B, inputDim]`, or in training mode when the batch statistics cover ≤ 1 sample.
   * @throws {InvalidArgumentError} when `x` is not float32 or `training` is not a boolean.
   */
  forward(x: tf.Tensor2D, options: MSNProjectionHeadForwardOptions = {}): tf.Tensor2D {
    const caller = 'MSNProjectionHead.forward';
    this.assertAlive(caller);
    assertOptions(caller, options, ['training'], '{ training? }');
    const { training = false } = options;
    assertBoolean(caller, 'training', training);
    if (!(x instanceof tf.Tensor)) throw new InvalidArgumentError({ caller, argument: 'x', value: x, expected: 'a tf.Tensor2D [B, inputDim]' });
    assertRank(caller, 'x', x, 2, '[B, inputDim]');
    assertDtype(caller, 'x', x, 'float32');
    if (x.shape[1] !== this.inputDim || x.shape[0] < 1) {
      throw new ShapeError(`${caller}: 'x' must be [B ≥ 1, ${this.inputDim}], got shape [${x.shape}]`);
    }
    return tf.tidy(() => {
      const settings = {
        training,
        epsilon: this.batchNormEps,
        momentum: this.batchNormMomentum,
        batchStatistics: this.batchStatistics,
        caller,
      };
      let hidden: tf.Tensor2D = x;
      for (let stage = 0; stage < 2; stage++) {
        hidden = linear(hidden, this.weight(`${LINEAR_WITHOUT_BIAS[stage]}.weight`));
        hidden = gelu(batchNorm1d(hidden, this.batchNormVariables(BATCH_NORMS[stage]!), settings)) as tf.Tensor2D;
      }
      return linear(hidden, this.weight('layers.6.weight'), this.weight('layers.6.bias') as tf.Tensor as tf.Tensor1D);
    });
  }

  /** Every variable by PyTorch state-dict key, in state-dict order (the variables themselves). */
  namedVariables(): Map<string, tf.Variable> {
    this.assertAlive('MSNProjectionHead.namedVariables');
    return new Map(this.variables);
  }

  /** The variables that receive gradients (all but the running statistics). */
  trainableVariables(): tf.Variable[] {
    this.assertAlive('MSNProjectionHead.trainableVariables');
    return [...this.variables.values()].filter((variable) => variable.trainable);
  }

  /** The state dict (running statistics included), optionally prefixed; values are the live variables. */
  stateDict(options: { prefix?: string } = {}): Map<string, tf.Variable> {
    this.assertAlive('MSNProjectionHead.stateDict');
    return prefixedVariables(this.variables, options.prefix);
  }

  /**
   * Loads tensors named by PyTorch state-dict keys. `*.num_batches_tracked` entries (PyTorch BatchNorm buffers this
   * head does not use: its momentum is fixed) are ignored. Checks everything first, so a failed load changes nothing.
   *
   * @throws {StateDictError} listing every missing, unexpected and mis-shaped name.
   */
  loadStateDict(tensors: StateDict, options: LoadStateDictOptions = {}): void {
    this.assertAlive('MSNProjectionHead.loadStateDict');
    loadIntoVariables('MSNProjectionHead.loadStateDict', this.variables, tensors, options, (name) => name.endsWith('.num_batches_tracked'));
  }

  /** Frees every variable. The head cannot be used afterwards. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const variable of this.variables.values()) variable.dispose();
    this.variables.clear();
  }

  private add(key: string, shape: number[], values: Float32Array, trainable = true): void {
    this.variables.set(
      key,
      tf.tidy(() => tf.variable(tf.tensor(values, shape, 'float32'), trainable, `${this.name}/${key}`)),
    );
  }

  private addBatchNorm(prefix: string, width: number): void {
    this.add(`${prefix}.weight`, [width], new Float32Array(width).fill(1));
    this.add(`${prefix}.bias`, [width], new Float32Array(width));
    this.add(`${prefix}.running_mean`, [width], new Float32Array(width), false);
    this.add(`${prefix}.running_var`, [width], new Float32Array(width).fill(1), false);
  }

  private weight(key: string): tf.Tensor2D {
    return this.variables.get(key)! as tf.Tensor as tf.Tensor2D;
  }

  private batchNormVariables(prefix: string): BatchNormVariables {
    return {
      weight: this.variables.get(`${prefix}.weight`)!,
      bias: this.variables.get(`${prefix}.bias`)!,
      runningMean: this.variables.get(`${prefix}.running_mean`)!,
      runningVar: this.variables.get(`${prefix}.running_var`)!,
    };
  }

  private assertAlive(caller: string): void {
    if (this.disposed) throw new InvalidArgumentError({ caller, argument: 'this', value: 'disposed head', expected: 'a head that was not disposed' });
  }
}

// torch.nn.Linear's default init: weight kaiming_uniform(a = √5) and bias both reduce to U(−1/√fan_in, 1/√fan_in).
function torchLinearUniform(random: Random, size: number, fanIn: number): Float32Array {
  const bound = 1 / Math.sqrt(fanIn);
  const values = new Float32Array(size);
  for (let index = 0; index < size; index++) values[index] = (2 * random.nextFloat() - 1) * bound;
  return values;
}
