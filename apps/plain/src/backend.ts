// Picks the backend: wasm (fast matrix products), else cpu; loads tfjs's gradient functions.
import * as tf from '@tensorflow/tfjs-core';

const preferred = ['wasm', 'cpu'] as const;

/** Activates the first backend of `wasm`, `cpu` that loads and initialises; returns its name. */
export async function selectBackend(): Promise<string> {
  // tfjs-core's Node bundle has no gradient functions; tfjs-layers registers them when loaded.
  await import('@tensorflow/tfjs-layers');
  const failures: string[] = [];
  for (const backend of preferred) {
    try {
      if (backend === 'wasm') await import('@tensorflow/tfjs-backend-wasm');
      else await import('@tensorflow/tfjs-backend-cpu');
      if (await tf.setBackend(backend)) {
        await tf.ready();
        return backend;
      }
      failures.push(`${backend}: failed to initialise`);
    } catch (error) {
      failures.push(`${backend}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  throw new Error(`example-plain: no backend could be loaded (${failures.join('; ')})`);
}
