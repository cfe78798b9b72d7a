// Shared by the WGSL kernel tests: which backends run them and a way to compute the expected values on cpu.
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '@msn/test-utils';
import { afterAll, beforeAll } from 'vitest';
import { type WebgpuKernelOptions, registerWebgpuKernels, unregisterWebgpuKernels } from './register-webgpu-kernels';

/** `['webgpu']` when MSN_TEST_WEBGPU=1 (CI on Mesa), else none (the suites then leave a skipped entry). */
export function webgpuUnderTest(): 'webgpu'[] {
  return process.env.MSN_TEST_WEBGPU === '1' ? ['webgpu'] : [];
}

/** Inside a suite: both backends ready, webgpu active with our kernels registered for the suite's duration. */
export function useWebgpuWithOurKernels(options: WebgpuKernelOptions = {}): void {
  beforeAll(async () => {
    await useBackend('cpu');
    await useBackend('webgpu');
    registerWebgpuKernels(options);
  });
  afterAll(() => unregisterWebgpuKernels());
}

/**
 * Runs `run` on the cpu backend and switches back, freeing every cpu tensor it made: `run` must hand back plain
 * values (arrays read from its tensors), not tensors.
 */
export async function onCpu<T>(run: () => T | Promise<T>): Promise<T> {
  const previous = tf.getBackend();
  await tf.setBackend('cpu');
  tf.engine().startScope();
  try {
    return await run();
  } finally {
    tf.engine().endScope();
    await tf.setBackend(previous);
  }
}
