// @file The activations tfjs fuses into _FusedMatMul, applied in place as tfjs-backend-wasm's kernel applies them.

/** Activations handled here (tfjs's fusable ones except `prelu`, which needs its weights and stays with the stock kernel). */
export type PointwiseActivation = 'linear' | 'relu' | 'relu6' | 'leakyrelu' | 'sigmoid' | 'elu';

const POINTWISE = new Set<string>(['linear', 'relu', 'relu6', 'leakyrelu', 'sigmoid', 'elu']);

/** Whether {@link applyActivation} handles `activation`. */
export function isPointwiseActivation(activation: string | undefined): activation is PointwiseActivation | undefined {
  return activation === undefined || POINTWISE.has(activation);
}

/** values ← activation(values), element by element; `leakyreluAlpha` is the slope below 0 of `leakyrelu`. */
export function applyActivation(values: Float32Array, activation: PointwiseActivation | undefined, leakyreluAlpha: number): void {
  const length = values.length;
  switch (activation) {
    case undefined:
    case 'linear':
      return;
    case 'relu':
      for (let index = 0; index < length; index++) if (values[index]! < 0) values[index] = 0;
      return;
    case 'relu6':
      for (let index = 0; index < length; index++) values[index] = Math.min(Math.max(values[index]!, 0), 6);
      return;
    case 'leakyrelu':
      for (let index = 0; index < length; index++) if (values[index]! < 0) values[index] = leakyreluAlpha * values[index]!;
      return;
    case 'sigmoid':
      for (let index = 0; index < length; index++) values[index] = 1 / (1 + Math.exp(-values[index]!));
      return;
    case 'elu':
      for (let index = 0; index < length; index++) if (values[index]! < 0) values[index] = Math.exp(values[index]!) - 1;
      return;
  }
}
