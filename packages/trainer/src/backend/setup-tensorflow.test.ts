import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { setupTensorflow } from './setup-tensorflow';

const packageFolder = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

describe('setupTensorflow', () => {
  it('selects the backend and registers gradient functions in a fresh process (tfjs-core alone has none)', () => {
    const script = `
      import * as tf from '@tensorflow/tfjs-core';
      import '@tensorflow/tfjs-backend-cpu';
      import { setupTensorflow } from './src/backend/setup-tensorflow.ts';
      const square = (x) => tf.sum(tf.square(x));
      await tf.setBackend('cpu');
      let before = 'works';
      try { tf.grad(square)(tf.tensor1d([1, 2])); } catch (error) { before = error.message; }
      const lines = [];
      const choice = await setupTensorflow({ backend: 'cpu', log: (line) => lines.push(line) });
      const gradient = Array.from(tf.grad(square)(tf.tensor1d([1, 2])).dataSync());
      console.log(JSON.stringify({ before, name: choice.name, lines, gradient }));
    `;
    const result = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', cwd: packageFolder });
    expect(result.status, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout.trim().split('\n').pop()!);
    expect(report.before).toMatch(/gradient function not found/);
    expect(report).toMatchObject({ name: 'cpu', lines: ['backend: cpu (tfjs-backend-cpu 4.22.0)'], gradient: [2, 4] });
  });

  it('rejects an unknown backend, listing the valid ones', async () => {
    await expect(setupTensorflow({ backend: 'metal', log: false })).rejects.toThrow(
      /selectBackend: invalid argument 'backend' = "metal"; expected one of tensorflow, webgpu, wasm, cpu/,
    );
  });
});
