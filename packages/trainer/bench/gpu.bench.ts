// GPU check: ms per MSN training step on webgpu for the bench config and a ViT-S/16 step, next to PyTorch's time for
// the same step (on CUDA when PyTorch sees a GPU), and the ratio. Not part of `test`.
//
//   npx -y pnpm@12.4.2 --filter @msn/trainer bench:gpu                       # bench + vit-s16 on webgpu, PyTorch
//   npx -y pnpm@12.4.2 --filter @msn/trainer bench:gpu -- --tiny --backends webgpu,wasm   # smoke test (Mesa)
//   npx tsx bench/gpu.bench.ts --configs vit-s16 --steps 10 --warmup 3 --no-torch
//   npx tsx bench/gpu.bench.ts --stock-kernels                              # without our WGSL kernels
//   npx tsx bench/gpu.bench.ts --tiled-matmul                               # with our tiled products too
//
// Without a GPU, run with DAWN_BACKEND=opengles (Mesa's GL ES through Dawn; a software adapter, slow) — the
// script names the adapter. PyTorch runs ../shared/reference/torch_msn_step.py (or --torch-script) through
// torch-on-device.py, which puts it on CUDA when available; it is skipped when `python3 -c 'import torch'` fails.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { MSNLoss } from '@msn/loss';
import { unregisterWebgpuKernels } from '../src/backend/webgpu-kernels/register-webgpu-kernels';
import { decayEverything, msnTrainingStep, setupTensorflow, type BackendName } from '../src/index';
import { STEP_SIZES, createBenchModel, repositoryRoot, type StepSizes } from './step-sizes';

const here = dirname(fileURLToPath(import.meta.url));
const argument = (name: string): string | undefined => {
  const index = process.argv.indexOf(`--${name}`);
  return index === -1 ? undefined : process.argv[index + 1];
};
const flag = (name: string) => process.argv.includes(`--${name}`);
const tiny = flag('tiny');
const steps = Number(argument('steps') ?? (tiny ? 3 : 5));
const warmup = Number(argument('warmup') ?? (tiny ? 1 : 2));
const backends = (argument('backends') ?? 'webgpu').split(',') as BackendName[];
const configNames = (argument('configs') ?? (tiny ? 'tiny' : 'bench,vit-s16')).split(',');
for (const name of configNames) {
  if (!(name in STEP_SIZES)) throw new Error(`bench:gpu: unknown config '${name}'; expected one of ${Object.keys(STEP_SIZES).join(', ')}`);
}

/** Median ms per step of `msnTrainingStep` (it ends with a read-back, so GPU work is included). */
async function timeOurs(config: StepSizes): Promise<{ medianMs: number; losses: number[] }> {
  const model = createBenchModel(config);
  // The reference script's settings: AdamW lr 1e-3, weight decay 0.04 on every parameter, EMA 0.996.
  const optimizer = model.createOptimizer({ learningRate: 1e-3, weightDecay: 0.04, weightDecayFilter: decayEverything });
  const loss = new MSNLoss();
  const times: number[] = [];
  const losses: number[] = [];
  for (let step = 0; step < warmup + steps; step++) {
    const { batch, image, 'focal-views': focalViews, 'focal-image': focalImage } = config;
    // Seeds from 1: tfjs treats seed 0 as "no seed" (Math.random), which would make the backends' losses differ.
    const views = {
      targets: tf.randomNormal<tf.Rank.R4>([batch, 3, image, image], 0, 1, 'float32', 3 * step + 1),
      anchors: tf.randomNormal<tf.Rank.R4>([batch, 3, image, image], 0, 1, 'float32', 3 * step + 2),
      focal: tf.randomNormal<tf.Rank.R4>([batch * focalViews, 3, focalImage, focalImage], 0, 1, 'float32', 3 * step + 3),
    };
    const start = performance.now();
    const result = await msnTrainingStep(model, views, { optimizer, loss, momentum: 0.996, maskSeed: step });
    const elapsed = performance.now() - start;
    tf.dispose(Object.values(views));
    losses.push(result.loss);
    if (step >= warmup) times.push(elapsed);
    process.stderr.write(
      `  ${tf.getBackend()} step ${step + 1}/${warmup + steps}: ${elapsed.toFixed(0)} ms, loss ${result.loss.toFixed(4)}${step < warmup ? ' (warm-up)' : ''}\n`,
    );
  }
  optimizer.dispose();
  model.dispose();
  return { medianMs: [...times].sort((left, right) => left - right)[Math.floor(times.length / 2)]!, losses };
}

function torchAvailable(): boolean {
  return spawnSync('python3', ['-c', 'import torch'], { encoding: 'utf8' }).status === 0;
}

function timeTorch(config: StepSizes): { msPerStep: number; line: string } | { error: string } {
  const script = argument('torch-script') ?? resolve(repositoryRoot(), '../shared/reference/torch_msn_step.py');
  if (!existsSync(script)) return { error: `no reference script at ${script} (pass --torch-script)` };
  const sizes = Object.entries(config).map(([name, value]) => `--${name}=${value}`);
  const run = spawnSync('python3', [join(here, 'torch-on-device.py'), script, ...sizes, `--steps=${steps}`, `--warmup=${warmup}`], { encoding: 'utf8' });
  if (run.status !== 0) return { error: `${run.error?.message ?? ''}${run.stderr}`.trim().split('\n').slice(-3).join(' | ') };
  const line = run.stdout.trim().split('\n').at(-1)!;
  return { msPerStep: (JSON.parse(line) as { ms_per_step: number }).ms_per_step, line };
}

const withTorch = !flag('no-torch') && torchAvailable();
const lines: string[] = [];
for (const name of configNames) {
  const config = STEP_SIZES[name]!;
  console.log(`\n${name}: ${JSON.stringify(config)} (MLP 4·dim), ${warmup} warm-up + ${steps} timed steps`);
  const torch = withTorch ? timeTorch(config) : undefined;
  for (const backend of backends) {
    // Naming webgpu explicitly allows a software adapter (Mesa); the chosen adapter is printed.
    const choice = await setupTensorflow({ backend, log: false, webgpuKernels: { tiledMatMul: flag('tiled-matmul') } });
    // --stock-kernels: tfjs's own kernels only (without our fused LayerNorm, GELU and attention), to measure what they gain.
    if (flag('stock-kernels')) unregisterWebgpuKernels();
    console.log(`  ${choice.description}`);
    const ours = await timeOurs(config);
    const ratio = torch && 'msPerStep' in torch ? `, ${(ours.medianMs / torch.msPerStep).toFixed(2)}× PyTorch` : '';
    lines.push(`${name.padEnd(8)} ${backend.padEnd(7)} ${ours.medianMs.toFixed(1).padStart(9)} ms/step${ratio}`);
  }
  if (torch === undefined) lines.push(`${name.padEnd(8)} PyTorch skipped (${flag('no-torch') ? '--no-torch' : "python3 -c 'import torch' fails"})`);
  else if ('error' in torch) lines.push(`${name.padEnd(8)} PyTorch failed: ${torch.error}`);
  else lines.push(`${name.padEnd(8)} PyTorch ${torch.msPerStep.toFixed(1).padStart(9)} ms/step  ${torch.line}`);
}
console.log(`\nresults (median ms per step; lower is better):\n${lines.map((line) => `  ${line}`).join('\n')}`);
