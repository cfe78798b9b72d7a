// Registers tfjs's gradient functions, which tfjs-core's Node bundle lacks (tf.grads fails with
// "gradient function not found for Sum"). The Node bundles of @tensorflow/tfjs and @tensorflow/tfjs-layers
// register all of them into tfjs-core's global registry when loaded; tfjs-layers is the smaller of the two.
let registration: Promise<void> | undefined;

/** Makes `tf.grads` / `tf.variableGrads` work in Node with tfjs-core; idempotent. */
export function registerGradients(): Promise<void> {
  registration ??= import('@tensorflow/tfjs-layers').then(() => undefined);
  return registration;
}
