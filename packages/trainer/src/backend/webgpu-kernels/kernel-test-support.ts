// Shared by the WGSL kernel tests: which backends run them and a way to compute the expected values on cpu.
import * as tf from '@tensorflow/tfjs-core';

/** `['webgpu']` when MSN_TEST_WEBGPU=1 (CI on Mesa), else none (the suites then leave a skipped entry). */
export function webgpuUnderTest(): 'webgpu'[] {
  return process.env.MSN_TEST_WEBGPU === '1' ? ['webgpu'] : [];
}

/** Runs `run` on the cpu backend and switches back. */
export async function onCpu<T>(run: () => T | Promise<T>): Promise<T> {
  const previous = tf.getBackend();
  await tf.setBackend('cpu');
  try {
    return await run();
  } finally {
    await tf.setBackend(previous);
  }
}
