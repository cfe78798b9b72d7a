// Forward+backward time and peak memory of the masked ViT on wasm and cpu (not part of `test`).
//
//   npx -y pnpm@12.4.2 --filter @msn/vit bench                  # every model on every backend
//   npx tsx bench/vit.bench.ts --backend wasm --model bench      # one case, in this process
//
// Each case runs in its own child process, so the peak RSS belongs to that case alone.
import { spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { useBackend, type TestBackend } from '@msn/test-utils';
import { MaskedVisionTransformer, randomTokenMask, vitSmall, type ViTConfigInput } from '../src/index';

interface BenchModel {
  config: ViTConfigInput;
  batchSize: number;
  maskRatio: number;
  /** Timed steps per backend (cpu is slow for ViT-S). */
  steps: Record<'cpu' | 'wasm', number>;
}

const MODELS: Record<string, BenchModel> = {
  bench: {
    config: { imageSize: 32, patchSize: 4, numLayers: 6, numHeads: 3, hiddenDim: 192, mlpDim: 768 },
    batchSize: 32,
    maskRatio: 0.15,
    steps: { wasm: 5, cpu: 3 },
  },
  'vit-s16': { config: vitSmall(), batchSize: 8, maskRatio: 0.15, steps: { wasm: 3, cpu: 1 } },
};
const BACKENDS = ['wasm', 'cpu'] as const;

function argument(name: string): string | undefined {
  const index = process.argv.indexOf(`--${name}`);
  return index === -1 ? undefined : process.argv[index + 1];
}

interface CaseResult {
  backend: string;
  model: string;
  batchSize: number;
  tokens: number;
  parameters: number;
  firstStepMs: number;
  medianStepMs: number;
  minStepMs: number;
  /** Median CPU time (user + system) of this process per step: less sensitive than wall time to a busy machine. */
  medianCpuMs: number;
  steps: number;
  peakTensorBytes: number;
  peakRssBytes: number;
}

async function runCase(backend: 'cpu' | 'wasm', modelName: string): Promise<CaseResult> {
  const model = MODELS[modelName];
  if (model === undefined) throw new Error(`unknown model '${modelName}'; known: ${Object.keys(MODELS).join(', ')}`);
  await useBackend(backend as TestBackend);
  const vit = new MaskedVisionTransformer({ config: model.config, seed: 0 });
  const { imageSize } = vit.config;
  const images = tf.randomNormal([model.batchSize, 3, imageSize, imageSize], 0, 1, 'float32', 1) as tf.Tensor4D;
  const idxKeep = randomTokenMask({
    batchSize: model.batchSize,
    sequenceLength: vit.sequenceLength(),
    maskRatio: model.maskRatio,
    seed: 2,
  });
  const variables = vit.trainableVariables();
  const step = () => {
    const { value, grads } = tf.variableGrads(() => tf.sum(tf.square(vit.forward(images, { idxKeep, training: true }))) as tf.Scalar, variables);
    // Reading the loss waits for the whole step (and keeps asynchronous backends honest).
    value.dataSync();
    tf.dispose([value, ...Object.values(grads)]);
  };
  const cpuTimes: number[] = [];
  const time = () => {
    const cpu = process.cpuUsage();
    const start = performance.now();
    step();
    const elapsed = performance.now() - start;
    const used = process.cpuUsage(cpu);
    cpuTimes.push((used.user + used.system) / 1000);
    return elapsed;
  };
  const firstStepMs = time();
  cpuTimes.length = 0;
  // One profiled step gives the peak of tf.memory().numBytes inside forward+backward.
  const profile = await tf.profile(step);
  const durations = Array.from({ length: model.steps[backend] }, time).sort((left, right) => left - right);
  cpuTimes.sort((left, right) => left - right);
  const result: CaseResult = {
    backend,
    model: modelName,
    batchSize: model.batchSize,
    tokens: idxKeep.shape[1],
    parameters: variables.reduce((total, variable) => total + variable.size, 0),
    firstStepMs,
    medianStepMs: durations[Math.floor(durations.length / 2)]!,
    minStepMs: durations[0]!,
    medianCpuMs: cpuTimes[Math.floor(cpuTimes.length / 2)]!,
    steps: durations.length,
    peakTensorBytes: profile.peakBytes,
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
  };
  tf.dispose([images, idxKeep]);
  vit.dispose();
  return result;
}

const megabytes = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;

async function main(): Promise<void> {
  const backend = argument('backend');
  const model = argument('model');
  if (backend !== undefined && model !== undefined) {
    if (backend !== 'cpu' && backend !== 'wasm') throw new Error(`--backend must be cpu or wasm, got '${backend}'`);
    process.stdout.write(`RESULT ${JSON.stringify(await runCase(backend, model))}\n`);
    return;
  }
  const load = () =>
    loadavg()
      .map((value) => value.toFixed(2))
      .join(' ');
  console.log(`load average before: ${load()} (2 cores shared: compare CPU ms/step when the machine is busy)`);
  const script = fileURLToPath(import.meta.url);
  const results: CaseResult[] = [];
  for (const modelName of model === undefined ? Object.keys(MODELS) : [model]) {
    for (const backendName of backend === undefined ? BACKENDS : [backend]) {
      const child = spawnSync(process.execPath, [...process.execArgv, script, '--backend', backendName, '--model', modelName], {
        encoding: 'utf8',
        maxBuffer: 2 ** 26,
      });
      const line = child.stdout.split('\n').find((text) => text.startsWith('RESULT '));
      if (child.status !== 0 || line === undefined) {
        throw new Error(`bench ${modelName} on ${backendName} failed (exit ${child.status}):\n${child.stderr.slice(-2000)}`);
      }
      const result = JSON.parse(line.slice('RESULT '.length)) as CaseResult;
      results.push(result);
      console.log(
        `${result.model.padEnd(8)} ${result.backend.padEnd(5)} batch ${result.batchSize} × ${result.tokens} tokens, ` +
          `${(result.parameters / 1e6).toFixed(2)} M params: forward+backward median ${result.medianStepMs.toFixed(0)} ms ` +
          `(min ${result.minStepMs.toFixed(0)}, first ${result.firstStepMs.toFixed(0)}, ${result.steps} steps; ` +
          `CPU ${result.medianCpuMs.toFixed(0)} ms/step); ` +
          `peak tensors ${megabytes(result.peakTensorBytes)}, peak RSS ${megabytes(result.peakRssBytes)}`,
      );
    }
  }
  console.log(`load average after: ${load()}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
