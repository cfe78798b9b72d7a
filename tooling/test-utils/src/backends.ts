// Runs the same tests on every embedded backend (cpu, wasm), plus `tensorflow` when tfjs-node is present.
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, it } from 'vitest';
import { registerGradients } from './gradients';

export type TestBackend = 'cpu' | 'wasm' | 'tensorflow' | 'webgpu';

const registered = new Set<string>();

async function register(backend: TestBackend): Promise<boolean> {
  if (registered.has(backend)) return true;
  try {
    if (backend === 'cpu') await import('@tensorflow/tfjs-backend-cpu');
    else if (backend === 'wasm') await import('@tensorflow/tfjs-backend-wasm');
    else if (backend === 'webgpu') {
      // Dawn as navigator.gpu first; on Mesa GL ES only compatibility-level adapters exist.
      const dawn = (await import('webgpu')) as unknown as {
        create: (flags: string[]) => { requestAdapter: (options?: object) => Promise<unknown> };
        globals: object;
      };
      Object.assign(globalThis, dawn.globals);
      const flags = process.env.DAWN_BACKEND ? [`backend=${process.env.DAWN_BACKEND}`] : [];
      const gpu = dawn.create(flags);
      const request = gpu.requestAdapter.bind(gpu);
      if (process.env.DAWN_BACKEND === 'opengles') gpu.requestAdapter = (o: object = {}) => request({ ...o, featureLevel: 'compatibility' });
      const host = globalThis as { navigator?: object };
      host.navigator ??= {};
      Object.defineProperty(host.navigator, 'gpu', { value: gpu, configurable: true });
      await import('@tensorflow/tfjs-backend-webgpu');
    } else await import('@tensorflow/tfjs-node' as string);
  } catch {
    return false;
  }
  registered.add(backend);
  return true;
}

/** Registers (once) and activates a backend, with tfjs's gradient functions; throws when it cannot be loaded. */
export async function useBackend(backend: TestBackend): Promise<void> {
  await registerGradients();
  if (!(await register(backend))) throw new Error(`backend '${backend}' is not installed`);
  if (!(await tf.setBackend(backend))) throw new Error(`backend '${backend}' failed to initialise`);
  await tf.ready();
}

/** Backends the suite runs on: cpu and wasm always, `tensorflow` when `@tensorflow/tfjs-node` resolves. */
export function embeddedBackends(): TestBackend[] {
  return ['cpu', 'wasm'];
}

/**
 * Backends of the suites that read tensors only asynchronously (the loss, ViT and step fixtures): the embedded ones,
 * plus webgpu when `MSN_TEST_WEBGPU=1` (CI sets it with `DAWN_BACKEND=opengles` on Mesa, where no GPU is needed).
 */
export function fixtureBackends(): TestBackend[] {
  return process.env.MSN_TEST_WEBGPU === '1' ? [...embeddedBackends(), 'webgpu'] : embeddedBackends();
}

/** `describe` once per backend, activating it before the block's tests. */
export function describeEachBackend(backends: TestBackend[], title: string, body: (backend: TestBackend) => void): void {
  // An opt-in backend that is off (e.g. webgpu without MSN_TEST_WEBGPU=1) leaves a file with no suite, which vitest
  // reports as a failure; a skipped entry says why instead.
  if (backends.length === 0) it.skip(`${title}: no backend enabled here (MSN_TEST_WEBGPU=1 enables webgpu)`);
  for (const backend of backends) {
    describe(`${title} [${backend}]`, () => {
      beforeAll(async () => {
        await useBackend(backend);
      });
      body(backend);
    });
  }
}
