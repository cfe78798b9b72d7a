// The checkpointable state of an optimiser: JSON values plus named float32 tensors.

/** A JSON value (what a checkpoint's state file can hold). */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** Row-major float32 values with their shape, detached from any backend (e.g. an Adam moment). */
export interface StoredTensor {
  shape: number[];
  data: Float32Array;
}

/**
 * An optimiser's state as a checkpoint stores it: tensors go to a safetensors file, `values` to the JSON state.
 * Tensor names follow PyTorch's optimizer state (`exp_avg.<parameter>`, `exp_avg_sq.<parameter>`).
 */
export interface OptimizerState {
  values: { [key: string]: JsonValue };
  tensors: Record<string, StoredTensor>;
}

/** What the Trainer needs from an optimiser: settable hyper-parameters, state export/import, disposal. */
export interface TrainerOptimizer {
  /** Learning rate used by the next step (the Trainer sets it from a schedule before each step). */
  learningRate: number;
  /** Weight decay used by the next step (set from a schedule when one is configured). */
  weightDecay: number;
  /** Copies the state out (moments downloaded from the backend). */
  getState(): Promise<OptimizerState>;
  /** Replaces the state (e.g. when resuming). */
  setState(state: OptimizerState): void;
  /** Frees every tensor the optimiser created. */
  dispose(): void;
}
