// An optimiser wrapper that averages gradients over the ranks of a process group before every step.
import * as tf from '@tensorflow/tfjs-core';
import { averageGradients } from '../distributed/average-gradients';
import type { ProcessGroup } from '../distributed/process-group';
import type { NamedGradients } from '../optim/adamw';
import type { OptimizerState, TrainerOptimizer } from '../optim/optimizer-state';

/**
 * The mean over ranks of the gradients that are present (null/undefined entries are skipped), as new tensors
 * (one coalesced all-reduce, names sorted). Every rank must pass the same names and shapes.
 */
export function averageNamedGradients(group: ProcessGroup, gradients: NamedGradients): tf.NamedTensorMap {
  const entries = gradients instanceof Map ? [...(gradients as ReadonlyMap<string, tf.Tensor | null | undefined>)] : Object.entries(gradients);
  const present = Object.fromEntries(entries.filter((entry): entry is [string, tf.Tensor] => entry[1] instanceof tf.Tensor));
  return averageGradients(group, present);
}

/** What {@link DistributedOptimizer} wraps: a Trainer optimiser that takes gradients by name (e.g. `AdamW`). */
export interface GradientStepOptimizer extends TrainerOptimizer {
  step(gradients: NamedGradients): void;
}

/**
 * DDP's gradient averaging as an optimiser: `step(gradients)` replaces the gradients by their mean over the ranks
 * (one coalesced all-reduce, names sorted, missing entries skipped) and passes the mean to the wrapped optimiser.
 * Hyper-parameters and state are the wrapped optimiser's (identical on every rank, so checkpoints from rank 0 serve
 * all). Every rank must step with the same gradient names and shapes.
 *
 * @example
 * const optimizer = new DistributedOptimizer(model.createOptimizer({ learningRate: 1e-3 }), group);
 * const { grads } = tf.variableGrads(() => loss(myShard));
 * optimizer.step(grads); // the combined batch's gradient on every rank
 */
export class DistributedOptimizer<O extends GradientStepOptimizer = GradientStepOptimizer> implements GradientStepOptimizer {
  /** The optimiser that applies the averaged gradients. */
  readonly inner: O;
  readonly group: ProcessGroup;

  constructor(inner: O, group: ProcessGroup) {
    this.inner = inner;
    this.group = group;
  }

  get learningRate(): number {
    return this.inner.learningRate;
  }

  set learningRate(value: number) {
    this.inner.learningRate = value;
  }

  get weightDecay(): number {
    return this.inner.weightDecay;
  }

  set weightDecay(value: number) {
    this.inner.weightDecay = value;
  }

  /**
   * Averages `gradients` over ranks, then steps the wrapped optimiser. The argument stays the caller's.
   * @throws {DistributedError} when the all-reduce fails (a rank died; ranks with different gradient sets).
   */
  step(gradients: NamedGradients): void {
    const averaged = averageNamedGradients(this.group, gradients);
    try {
      this.inner.step(averaged);
    } finally {
      tf.dispose(Object.values(averaged));
    }
  }

  getState(): Promise<OptimizerState> {
    return this.inner.getState();
  }

  setState(state: OptimizerState): void {
    this.inner.setState(state);
  }

  dispose(): void {
    this.inner.dispose();
  }
}
