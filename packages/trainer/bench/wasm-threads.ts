// Can tfjs-backend-wasm's multi-threaded build run in Node, and is it faster on this machine?
//
// As shipped it cannot: the backend disables threads under Node (flag WASM_HAS_MULTITHREAD_SUPPORT is false)
// and, when forced, hands Emscripten blob: URLs for the pthread worker and the main script, which Node's
// worker_threads cannot load. This script builds the threaded module itself (worker script written to a temp
// file, main script passed as a path) and registers it as the `wasm` backend. A second obstacle: the thread pool
// is created when the module starts, sized emscripten_num_logical_cores() / 2 (one thread on 2 cores), and
// setThreadsCount() has no effect on it; so the core count reported to the module is doubled to get `threads`.
//
// Usage: pnpm --filter @msn/trainer bench [-- single|threaded [threads]]
// Without arguments it runs both modes in child processes and prints a comparison.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';

// Node provides WebAssembly at run time; the ES2022 library the packages compile against does not declare it.
declare const WebAssembly: { Module: new (bytes: Uint8Array) => object; Instance: new (module: object, imports: object) => { exports: object } };

const require = createRequire(import.meta.url);

interface EmscriptenModule {
  cwrap: (name: string, returnType: string | null, argumentTypes: string[]) => (...args: number[]) => number;
  tfjs?: Record<string, unknown>;
}

async function registerThreadedWasm(threads: number): Promise<void> {
  const wasmPackage = require('@tensorflow/tfjs-backend-wasm') as { BackendWasm: new (module: unknown) => tf.KernelBackend };
  const distFolder = dirname(require.resolve('@tensorflow/tfjs-backend-wasm'));
  const outFolder = join(distFolder, '..', 'wasm-out');
  const factory = require(join(outFolder, 'tfjs-backend-wasm-threaded-simd.js')) as (config: object) => Promise<EmscriptenModule>;
  const { wasmWorkerContents } = require(join(outFolder, 'tfjs-backend-wasm-threaded-simd.worker.js')) as { wasmWorkerContents: string };
  const workerFile = join(mkdtempSync(join(tmpdir(), 'tfjs-wasm-')), 'worker.cjs');
  // The backend escapes newlines the same way before making its blob.
  writeFileSync(workerFile, wasmWorkerContents.replace(/\n/g, '\\n'));
  const wasmFile = join(distFolder, 'tfjs-backend-wasm-threaded-simd.wasm');
  const module = await factory({
    locateFile: (path: string) => (path.endsWith('.worker.js') ? workerFile : path.endsWith('.wasm') ? wasmFile : path),
    mainScriptUrlOrBlob: join(outFolder, 'tfjs-backend-wasm-threaded-simd.js'),
    instantiateWasm(imports: { env: Record<string, unknown> }, receive: (instance: object, module: object) => void) {
      imports.env.emscripten_num_logical_cores = () => 2 * threads;
      const compiled = new WebAssembly.Module(readFileSync(wasmFile));
      const instance = new WebAssembly.Instance(compiled, imports);
      receive(instance, compiled);
      return instance.exports;
    },
  });
  module.tfjs = {
    init: module.cwrap('init', null, []),
    initWithThreadsCount: module.cwrap('init_with_threads_count', null, ['number']),
    getThreadsCount: module.cwrap('get_threads_count', 'number', []),
    registerTensor: module.cwrap('register_tensor', null, ['number', 'number', 'number']),
    disposeData: module.cwrap('dispose_data', null, ['number']),
    dispose: module.cwrap('dispose', null, []),
  };
  tf.removeBackend('wasm');
  tf.registerBackend('wasm', () => new wasmPackage.BackendWasm(module), 2);
}

function time(label: string, repetitions: number, run: () => void): number {
  run();
  const start = performance.now();
  for (let repetition = 0; repetition < repetitions; repetition++) run();
  const milliseconds = (performance.now() - start) / repetitions;
  console.log(`${label.padEnd(34)} ${milliseconds.toFixed(1).padStart(8)} ms`);
  return milliseconds;
}

async function measure(mode: string, threads: number): Promise<void> {
  if (mode === 'threaded') await registerThreadedWasm(threads);
  else await import('@tensorflow/tfjs-backend-wasm');
  await tf.setBackend('wasm');
  await tf.ready();
  const { getThreadsCount } = require('@tensorflow/tfjs-backend-wasm') as { getThreadsCount: () => number };
  console.log(`mode ${mode}: ${getThreadsCount()} thread(s)`);
  for (const size of [256, 512, 1024]) {
    const [left, right] = [tf.randomNormal([size, size]), tf.randomNormal([size, size])];
    time(`matMul ${size}×${size}`, size >= 1024 ? 3 : 10, () => tf.tidy(() => void tf.matMul(left, right).dataSync()));
    tf.dispose([left, right]);
  }
  // A ViT-block-sized MLP with layer norm (bench config: batch 32 × 6 views × 65 tokens, dim 192, MLP 768).
  const tokens = tf.randomNormal([32 * 65 * 2, 192]);
  const [up, down] = [tf.randomNormal([192, 768], 0, 0.05), tf.randomNormal([768, 192], 0, 0.05)];
  time('MLP block [4160,192]→768→192 + LN', 5, () =>
    tf.tidy(() => {
      const hidden = tf.matMul(tf.relu(tf.matMul(tokens, up)), down);
      const { mean, variance } = tf.moments(hidden, -1, true);
      void tf.div(tf.sub(hidden, mean), tf.sqrt(tf.add(variance, 1e-6))).dataSync();
    }),
  );
  const [queries, keys] = [tf.randomNormal([32 * 3, 65, 64]), tf.randomNormal([32 * 3, 64, 65])];
  time('attention scores [96,65,64]·[96,64,65]', 10, () => tf.tidy(() => void tf.softmax(tf.matMul(queries, keys)).dataSync()));
  process.exit(0);
}

const [mode, threads] = process.argv.slice(2);
if (mode !== undefined) {
  await measure(mode, Number(threads ?? 2));
} else {
  const self = fileURLToPath(import.meta.url);
  for (const args of [['single'], ['threaded', '2']]) {
    const result = spawnSync(process.execPath, [...process.execArgv, self, ...args], { encoding: 'utf8' });
    process.stdout.write(
      result.stdout +
        result.stderr
          .split('\n')
          .filter((line) => !/tfjs-node|====|^$|Hi, looks/.test(line))
          .join('\n'),
    );
  }
}
