import * as tf from '@tensorflow/tfjs-core';

/** Calls `run` once to prime lazy state, then `calls` more times; fails if tensors accumulate. */
export async function expectNoLeakedTensors(run: () => void | Promise<void>, calls = 3): Promise<void> {
  await run();
  const before = tf.memory().numTensors;
  for (let call = 0; call < calls; call++) await run();
  const leaked = tf.memory().numTensors - before;
  if (leaked !== 0) throw new Error(`${leaked} tensors leaked over ${calls} calls: use tf.tidy or dispose`);
}
