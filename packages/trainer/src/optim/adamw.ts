import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError, ShapeError, assertInRange, assertKnownKeys, assertNonNegativeFinite, assertPositiveFinite } from '@msn/errors';
import type { OptimizerState, StoredTensor, TrainerOptimizer } from './optimizer-state';

/** Decides whether a parameter gets weight decay. */
export type WeightDecayFilter = (name: string, parameter: tf.Variable) => boolean;

/**
 * The default filter: no weight decay on biases (names ending in `bias`) and on 1-D parameters (LayerNorm and
 * BatchNorm scales, …), decay on everything else — the MSN reference's parameter groups.
 */
export const decayMatricesOnly: WeightDecayFilter = (name, parameter) => parameter.rank > 1 && !/(^|\.)bias$/.test(name);

/** Weight decay on every parameter that has a gradient (PyTorch AdamW with a single parameter group). */
export const decayEverything: WeightDecayFilter = () => true;

/** Options of {@link AdamW}; defaults are `torch.optim.AdamW`'s. */
export interface AdamWOptions {
  /** Step size `lr`. @default 0.001 */
  learningRate?: number;
  /** Exponential decay of the first moment. @default 0.9 */
  beta1?: number;
  /** Exponential decay of the second moment. @default 0.999 */
  beta2?: number;
  /** Added to the bias-corrected √v. @default 1e-8 */
  epsilon?: number;
  /** Decoupled weight decay coefficient `wd` (p ← p·(1 − lr·wd)). @default 0.01 */
  weightDecay?: number;
  /** Which parameters are decayed. @default decayMatricesOnly (no decay on biases and 1-D parameters) */
  weightDecayFilter?: WeightDecayFilter;
}

/** Gradients by parameter name; a missing, `null` or `undefined` entry means "no gradient this step". */
export type NamedGradients = ReadonlyMap<string, tf.Tensor | null | undefined> | Readonly<Record<string, tf.Tensor | null | undefined>>;

interface ParameterState {
  step: number;
  expAvg: tf.Variable;
  expAvgSq: tf.Variable;
}

const KNOWN = ['learningRate', 'beta1', 'beta2', 'epsilon', 'weightDecay', 'weightDecayFilter'] as const;

function entriesOf<T>(source: ReadonlyMap<string, T> | Readonly<Record<string, T>>): [string, T][] {
  return source instanceof Map ? [...(source as ReadonlyMap<string, T>).entries()] : Object.entries(source as Record<string, T>);
}

/**
 * AdamW with PyTorch's semantics over named `tf.Variable`s. For each parameter p with gradient g, at its own step
 * count t (parameters without a gradient are skipped entirely: no decay, no moment update, no step count):
 *
 * p ← p·(1 − lr·wd) (only where the filter allows decay);
 * m ← β₁m + (1−β₁)g; v ← β₂v + (1−β₂)g²;
 * p ← p − lr/(1−β₁ᵗ) · m / (√v / √(1−β₂ᵗ) + ε).
 *
 * `learningRate` and `weightDecay` are plain fields, so schedules set them before each step. Moments are created
 * lazily on a parameter's first gradient, as in PyTorch.
 *
 * @example
 * const optimizer = new AdamW(model.namedParameters(), { learningRate: 1e-3, weightDecay: 0.04 });
 * const { grads } = tf.variableGrads(() => loss(batch));
 * optimizer.step(grads); tf.dispose(grads);
 * @throws {InvalidArgumentError} for hyper-parameters out of range or unknown option names.
 */
export class AdamW implements TrainerOptimizer {
  learningRate: number;
  weightDecay: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  private readonly parameters: Map<string, tf.Variable>;
  private readonly decay: Map<string, boolean>;
  private readonly state = new Map<string, ParameterState>();
  private disposed = false;

  constructor(parameters: ReadonlyMap<string, tf.Variable> | Readonly<Record<string, tf.Variable>>, options: AdamWOptions = {}) {
    const caller = 'AdamW';
    assertKnownKeys(caller, options, KNOWN);
    const { learningRate = 0.001, beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8, weightDecay = 0.01, weightDecayFilter = decayMatricesOnly } = options;
    assertNonNegativeFinite(caller, 'learningRate', learningRate);
    assertInRange(caller, 'beta1', beta1, 0, 1, { highInclusive: false });
    assertInRange(caller, 'beta2', beta2, 0, 1, { highInclusive: false });
    assertPositiveFinite(caller, 'epsilon', epsilon);
    assertNonNegativeFinite(caller, 'weightDecay', weightDecay);
    if (typeof weightDecayFilter !== 'function') {
      throw new InvalidArgumentError({ caller, argument: 'weightDecayFilter', value: weightDecayFilter, expected: 'a function (name, variable) => boolean' });
    }
    this.parameters = new Map(entriesOf(parameters));
    if (this.parameters.size === 0) {
      throw new InvalidArgumentError({ caller, argument: 'parameters', value: '(empty)', expected: 'at least one named tf.Variable' });
    }
    for (const [name, parameter] of this.parameters) {
      if (!(parameter instanceof tf.Variable)) {
        throw new InvalidArgumentError({ caller, argument: `parameters['${name}']`, value: parameter, expected: 'a tf.Variable' });
      }
      if (parameter.dtype !== 'float32') {
        throw new InvalidArgumentError({ caller, argument: `parameters['${name}']`, value: parameter.dtype, expected: 'a float32 variable' });
      }
    }
    this.learningRate = learningRate;
    this.weightDecay = weightDecay;
    this.beta1 = beta1;
    this.beta2 = beta2;
    this.epsilon = epsilon;
    this.decay = new Map([...this.parameters].map(([name, parameter]) => [name, weightDecayFilter(name, parameter)]));
  }

  /** Names of the parameters this optimiser updates. */
  get parameterNames(): string[] {
    return [...this.parameters.keys()];
  }

  /** Whether `name` receives weight decay. */
  decays(name: string): boolean {
    return this.decay.get(name) ?? false;
  }

  /** The number of steps parameter `name` has taken (0 before its first gradient). */
  stepCount(name: string): number {
    return this.state.get(name)?.step ?? 0;
  }

  /**
   * Applies one update with `gradients` (by parameter name). The gradients stay owned by the caller.
   * @throws {InvalidArgumentError} for a gradient whose name is not a parameter, or after `dispose()`.
   * @throws {ShapeError} when a gradient's shape differs from its parameter's.
   */
  step(gradients: NamedGradients): void {
    this.assertUsable('step');
    const entries = entriesOf(gradients).filter((entry): entry is [string, tf.Tensor] => entry[1] != null);
    for (const [name, gradient] of entries) {
      const parameter = this.parameters.get(name);
      if (parameter === undefined) {
        throw new InvalidArgumentError({
          caller: 'AdamW.step',
          argument: 'gradients',
          value: name,
          expected: `names among the optimiser's parameters (${this.parameterNames.slice(0, 8).join(', ')}${this.parameters.size > 8 ? ', …' : ''})`,
        });
      }
      if (!tf.util.arraysEqual(gradient.shape, parameter.shape)) {
        throw new ShapeError(`AdamW.step: gradient '${name}' has shape [${gradient.shape}] but the parameter has [${parameter.shape}]`);
      }
    }
    const { learningRate, weightDecay, beta1, beta2, epsilon } = this;
    for (const [name, gradient] of entries) {
      const parameter = this.parameters.get(name)!;
      let state = this.state.get(name);
      if (state === undefined) {
        state = {
          step: 0,
          // Inside tidy, so the zeros tensor is released once the variable holds its data.
          expAvg: tf.tidy(() => tf.variable(tf.zerosLike(parameter), false)),
          expAvgSq: tf.tidy(() => tf.variable(tf.zerosLike(parameter), false)),
        };
        this.state.set(name, state);
      }
      state.step += 1;
      // Scalars computed in float64 on the host, as PyTorch computes them in Python floats.
      const biasCorrection1 = 1 - beta1 ** state.step;
      const biasCorrection2Sqrt = Math.sqrt(1 - beta2 ** state.step);
      const stepSize = learningRate / biasCorrection1;
      const decayFactor = this.decay.get(name) && weightDecay !== 0 ? 1 - learningRate * weightDecay : 1;
      const { expAvg, expAvgSq } = state;
      tf.tidy(() => {
        const decayed = decayFactor === 1 ? parameter : tf.mul(parameter, tf.scalar(decayFactor));
        const newExpAvg = tf.add(tf.mul(expAvg, tf.scalar(beta1)), tf.mul(gradient, tf.scalar(1 - beta1)));
        const newExpAvgSq = tf.add(tf.mul(expAvgSq, tf.scalar(beta2)), tf.mul(tf.square(gradient), tf.scalar(1 - beta2)));
        const denominator = tf.add(tf.div(tf.sqrt(newExpAvgSq), tf.scalar(biasCorrection2Sqrt)), tf.scalar(epsilon));
        const updated = tf.sub(decayed, tf.mul(tf.div(newExpAvg, denominator), tf.scalar(stepSize)));
        expAvg.assign(newExpAvg);
        expAvgSq.assign(newExpAvgSq);
        parameter.assign(updated);
      });
    }
  }

  /**
   * Copies the state out: `values.step` (per-parameter step counts), the hyper-parameters, and tensors
   * `exp_avg.<name>` / `exp_avg_sq.<name>` for every parameter that has taken a step.
   */
  async getState(): Promise<OptimizerState> {
    this.assertUsable('getState');
    const tensors: Record<string, StoredTensor> = {};
    const step: Record<string, number> = {};
    for (const [name, state] of this.state) {
      step[name] = state.step;
      tensors[`exp_avg.${name}`] = { shape: [...state.expAvg.shape], data: (await state.expAvg.data()) as Float32Array };
      tensors[`exp_avg_sq.${name}`] = { shape: [...state.expAvgSq.shape], data: (await state.expAvgSq.data()) as Float32Array };
    }
    return {
      values: {
        kind: 'AdamW',
        learningRate: this.learningRate,
        weightDecay: this.weightDecay,
        beta1: this.beta1,
        beta2: this.beta2,
        epsilon: this.epsilon,
        step,
      },
      tensors,
    };
  }

  /**
   * Replaces the state with one from {@link AdamW.getState} (moments copied, learning rate and weight decay
   * restored; β₁, β₂, ε must match this optimiser's).
   * @throws {InvalidArgumentError} for a state of another optimiser, unknown parameter names, a missing moment or
   *   different β/ε.
   * @throws {ShapeError} when a moment's shape differs from its parameter's.
   */
  setState(state: OptimizerState): void {
    this.assertUsable('setState');
    const caller = 'AdamW.setState';
    const values = state?.values ?? {};
    if (values.kind !== 'AdamW') {
      throw new InvalidArgumentError({ caller, argument: 'state.values.kind', value: values.kind, expected: "'AdamW'" });
    }
    for (const key of ['beta1', 'beta2', 'epsilon'] as const) {
      if (values[key] !== this[key]) {
        throw new InvalidArgumentError({ caller, argument: `state.values.${key}`, value: values[key], expected: `${this[key]} (this optimiser's ${key})` });
      }
    }
    const steps = values.step;
    if (typeof steps !== 'object' || steps === null || Array.isArray(steps)) {
      throw new InvalidArgumentError({ caller, argument: 'state.values.step', value: steps, expected: 'an object of per-parameter step counts' });
    }
    const restored = new Map<string, { step: number; expAvg: StoredTensor; expAvgSq: StoredTensor }>();
    for (const [name, step] of Object.entries(steps)) {
      const parameter = this.parameters.get(name);
      if (parameter === undefined) {
        throw new InvalidArgumentError({ caller, argument: 'state.values.step', value: name, expected: "names of this optimiser's parameters" });
      }
      if (typeof step !== 'number' || !Number.isSafeInteger(step) || step < 1) {
        throw new InvalidArgumentError({ caller, argument: `state.values.step['${name}']`, value: step, expected: 'an integer >= 1' });
      }
      const moments = [`exp_avg.${name}`, `exp_avg_sq.${name}`].map((key) => {
        const tensor = state.tensors[key];
        if (tensor === undefined) {
          throw new InvalidArgumentError({
            caller,
            argument: 'state.tensors',
            value: key,
            expected: 'a moment for every parameter with a step count (missing)',
          });
        }
        const size = tensor.shape.reduce((product, dimension) => product * dimension, 1);
        if (!tf.util.arraysEqual(tensor.shape, parameter.shape) || tensor.data.length !== size) {
          throw new ShapeError(
            `${caller}: moment '${key}' has shape [${tensor.shape}] (${tensor.data.length} values) but the parameter has [${parameter.shape}]`,
          );
        }
        return tensor;
      });
      restored.set(name, { step, expAvg: moments[0]!, expAvgSq: moments[1]! });
    }
    this.disposeState();
    for (const [name, { step, expAvg, expAvgSq }] of restored) {
      this.state.set(name, {
        step,
        expAvg: tf.tidy(() => tf.variable(tf.tensor(expAvg.data, expAvg.shape, 'float32'), false)),
        expAvgSq: tf.tidy(() => tf.variable(tf.tensor(expAvgSq.data, expAvgSq.shape, 'float32'), false)),
      });
    }
    if (typeof values.learningRate === 'number') this.learningRate = values.learningRate;
    if (typeof values.weightDecay === 'number') this.weightDecay = values.weightDecay;
  }

  /** Frees the moment variables; the optimiser cannot be used afterwards. The parameters stay the caller's. */
  dispose(): void {
    this.disposeState();
    this.disposed = true;
  }

  private disposeState(): void {
    for (const { expAvg, expAvgSq } of this.state.values()) {
      expAvg.dispose();
      expAvgSq.dispose();
    }
    this.state.clear();
  }

  private assertUsable(method: string): void {
    if (this.disposed) {
      throw new InvalidArgumentError({
        caller: `AdamW.${method}`,
        argument: 'this',
        value: 'disposed optimiser',
        expected: 'an optimiser that has not been disposed',
      });
    }
  }
}
