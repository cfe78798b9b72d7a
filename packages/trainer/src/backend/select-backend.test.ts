import * as tf from '@tensorflow/tfjs-core';
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { afterEach, describe, expect, it } from 'vitest';
import { BackendUnavailableError, InvalidArgumentError } from '@msn/errors';
import { BACKEND_PREFERENCE, selectBackend } from './select-backend';

function notFound(specifier: string): Error {
  return Object.assign(new Error(`Cannot find package '${specifier}' imported from /somewhere`), { code: 'ERR_MODULE_NOT_FOUND' });
}

/** An importer where the listed native packages "exist" and register a `tensorflow` backend (CPU underneath). */
function fakeImporter(present: Record<string, 'ok' | 'broken'>) {
  const imported: string[] = [];
  const importModule = async (specifier: string): Promise<unknown> => {
    imported.push(specifier);
    const state = present[specifier];
    if (state === 'broken') throw new Error('libtensorflow.so: cannot open shared object file');
    if (state === 'ok') {
      tf.registerBackend('tensorflow', () => new MathBackendCPU(), 0);
      return { version: { [specifier.replace('@tensorflow/', '')]: '9.9.9' } };
    }
    if (specifier.startsWith('@tensorflow/tfjs-node')) throw notFound(specifier);
    return import(specifier);
  };
  return { importModule, imported };
}

describe('selectBackend', () => {
  afterEach(async () => {
    if (tf.findBackendFactory('tensorflow') !== null) tf.removeBackend('tensorflow');
    await tf.setBackend('cpu');
  });

  it('lists the backends in preference order', () => {
    expect(BACKEND_PREFERENCE).toEqual(['tensorflow', 'webgpu', 'wasm', 'cpu']);
  });

  it('falls back to wasm when no native backend is installed, and prints the choice', async () => {
    const lines: string[] = [];
    const { importModule, imported } = fakeImporter({});
    const choice = await selectBackend({ log: (line) => lines.push(line), importModule });
    expect(choice.name).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(choice.description).toMatch(/^backend: wasm \(tfjs-backend-wasm 4\.\d+\.\d+, (BLAS .+ on \d+ threads? \(.+\)|no BLAS found)\)$/);
    expect(lines).toEqual([choice.description]);
    expect(choice.skipped).toEqual([]); // absent optional backends are a normal situation
    // A GPU before a CPU: tfjs-node-gpu, then webgpu (Dawn finds no hardware adapter here), then tfjs-node.
    expect(imported.filter((specifier) => !specifier.includes('backend-')).slice(0, 3)).toEqual([
      '@tensorflow/tfjs-node-gpu',
      'webgpu',
      '@tensorflow/tfjs-node',
    ]);
  });

  it('uses the real importer without a native backend installed here', async () => {
    const choice = await selectBackend({ log: false });
    expect(choice.name).toBe('wasm');
    expect(choice.skipped).toEqual([]);
  });

  it('takes tfjs-node when only it is present, and reports a broken tfjs-node-gpu', async () => {
    const { importModule } = fakeImporter({ '@tensorflow/tfjs-node-gpu': 'broken', '@tensorflow/tfjs-node': 'ok' });
    const choice = await selectBackend({ log: false, importModule });
    expect(choice.description).toBe('backend: tensorflow (tfjs-node 9.9.9)');
    expect(tf.getBackend()).toBe('tensorflow');
  });

  it('skips a broken native backend when choosing automatically, saying why', async () => {
    const { importModule } = fakeImporter({ '@tensorflow/tfjs-node-gpu': 'broken' });
    const choice = await selectBackend({ log: false, importModule });
    expect(choice.name).toBe('wasm');
    expect(choice.skipped.join()).toMatch(/tfjs-node-gpu failed to load: libtensorflow\.so/);
  });

  it('honours an explicit backend', async () => {
    const choice = await selectBackend({ backend: 'cpu', log: false });
    expect(choice.name).toBe('cpu');
    expect(choice.description).toMatch(/^backend: cpu \(tfjs-backend-cpu 4\.\d+\.\d+\)$/);
    expect(tf.getBackend()).toBe('cpu');
  });

  it('rejects an unknown name, listing the valid ones', async () => {
    await expect(selectBackend({ backend: 'metal', log: false })).rejects.toThrow(InvalidArgumentError);
    await expect(selectBackend({ backend: 'metal', log: false })).rejects.toThrow(
      'selectBackend: invalid argument \'backend\' = "metal"; expected one of tensorflow, webgpu, wasm, cpu',
    );
  });

  it('explains that a requested native backend is not installed', async () => {
    const { importModule } = fakeImporter({});
    const attempt = selectBackend({ backend: 'tensorflow', log: false, importModule });
    await expect(attempt).rejects.toThrow(BackendUnavailableError);
    await expect(selectBackend({ backend: 'tensorflow', log: false, importModule })).rejects.toThrow(
      /backend 'tensorflow' is unavailable: @tensorflow\/tfjs-node-gpu is not installed; @tensorflow\/tfjs-node is not installed \(install @tensorflow\/tfjs-node-gpu or @tensorflow\/tfjs-node\)/,
    );
  });

  it('fails loudly when a requested backend is broken, keeping the cause', async () => {
    const { importModule } = fakeImporter({ '@tensorflow/tfjs-node-gpu': 'broken', '@tensorflow/tfjs-node': 'broken' });
    const error = await selectBackend({ backend: 'tensorflow', log: false, importModule }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(BackendUnavailableError);
    expect((error as Error).message).toMatch(/tfjs-node failed to load: libtensorflow\.so/);
    expect((error as Error).cause).toBeInstanceOf(Error);
  });
});
