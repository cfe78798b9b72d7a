// @file What every training program needs before its first step: a backend and tfjs's gradient functions.
import { selectBackend, type BackendChoice, type SelectBackendOptions } from './select-backend';

let gradientRegistration: Promise<void> | undefined;

/**
 * Registers tfjs's gradient functions once. tfjs-core's Node bundle ships none (`tf.grads` fails with "gradient
 * function not found"), and its `register_all_gradients` entry cannot be imported by plain Node; loading
 * `@tensorflow/tfjs-layers` registers all of them into the shared tfjs-core engine. Idempotent.
 *
 * @example await registerGradientFunctions(); // then tf.variableGrads / msnTrainingStep work
 */
export function registerGradientFunctions(): Promise<void> {
  gradientRegistration ??= import('@tensorflow/tfjs-layers').then(() => undefined);
  return gradientRegistration;
}

/**
 * Prepares TensorFlow.js for training: chooses and activates the backend ({@link selectBackend}: `tensorflow`,
 * then `wasm`, then `cpu`, or the one named by `backend`; the choice is printed) and registers the gradient
 * functions ({@link registerGradientFunctions}), so a program cannot forget either.
 *
 * @example
 * const choice = await setupTensorflow({ backend: flags.backend }); // "backend: wasm (tfjs-backend-wasm 4.22.0, no BLAS found)"
 * @throws {InvalidArgumentError} for an unknown backend name (the message lists the valid ones).
 * @throws {BackendUnavailableError} when the requested backend (or, without a request, every backend) is unusable.
 */
export async function setupTensorflow(options: SelectBackendOptions = {}): Promise<BackendChoice> {
  const choice = await selectBackend(options);
  await registerGradientFunctions();
  return choice;
}
