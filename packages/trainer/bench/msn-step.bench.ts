// Time of one MSN training step (msnTrainingStep) next to the PyTorch reference at the same sizes (not part of `test`).
//
//   npx -y pnpm@12.4.2 --filter @msn/trainer bench:msn-step                      # wasm, then PyTorch
//   npx tsx bench/msn-step.bench.ts --backends wasm,cpu                           # cpu too (minutes per step)
//   npx tsx bench/msn-step.bench.ts --backends wasm --steps 5 --warmup 2 --profile
//   npx tsx bench/msn-step.bench.ts --backends wasm --no-torch --batch 64         # any size flag of the reference
//   npx tsx bench/msn-step.bench.ts --blas auto,none                              # wasm with and without a BLAS
//   npx tsx bench/msn-step.bench.ts --explicit-transposes                         # each BLAS run again with @msn/vit's explicit transposes
//
// `--blas` (wasm only): `auto` (default: the BLAS found, else pure wasm), `none`, or a library path; a comma list
// runs wasm once per entry. Each result line names the path used (BLAS library and threads, or pure wasm).
// Size flags are those of ../shared/reference/torch_msn_step.py (image, patch, dim, depth, heads, head-hidden, out,
// prototypes, batch, focal-views, focal-image, mask-ratio; MLP = 4·dim as there) and are passed to it unchanged, with
// --steps, --warmup and --threads. `--profile` adds a per-phase breakdown and the slowest kernels of one step.
// Both sides run on this machine's cores at the same time as anything else running here: compare the ratio, and
// rerun when the load is high (the script prints the load average).
import { spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { MSNLoss } from '@msn/loss';
import { useBackend, type TestBackend } from '@msn/test-utils';
import { declareTransposeFreeMatMul } from '@msn/vit';
import { type MSNModel, decayEverything, enableBlas, msnTrainingStep, type MSNBatch } from '../src/index';
import { STEP_SIZES, createBenchModel, repositoryRoot, type StepSizes } from './step-sizes';

// The reference script's defaults: the `bench` size.
const SIZE_FLAGS = STEP_SIZES.bench!;
type SizeFlag = keyof StepSizes;

function argument(name: string): string | undefined {
  const index = process.argv.indexOf(`--${name}`);
  return index === -1 ? undefined : process.argv[index + 1];
}
const flag = (name: string) => process.argv.includes(`--${name}`);
const number = (name: string, fallback: number) => Number(argument(name) ?? fallback);

const sizes = Object.fromEntries(Object.entries(SIZE_FLAGS).map(([name, value]) => [name, number(name, value)])) as Record<SizeFlag, number>;
const steps = number('steps', 5);
const warmup = number('warmup', 2);
const threads = number('threads', 2);
// cpu is opt-in: at the default sizes one step takes minutes there (JavaScript matmuls, ~25x slower than wasm).
const backends = (argument('backends') ?? 'wasm').split(',') as TestBackend[];
const blasChoices = (argument('blas') ?? 'auto').split(',');

// Fresh standard-normal views each step, like the reference (creation is outside the timed region).
function createBatch(seed: number): MSNBatch & { focal: tf.Tensor4D } {
  const { batch, image } = sizes;
  return {
    targets: tf.randomNormal<tf.Rank.R4>([batch, 3, image, image], 0, 1, 'float32', seed),
    anchors: tf.randomNormal<tf.Rank.R4>([batch, 3, image, image], 0, 1, 'float32', seed + 1),
    focal: tf.randomNormal<tf.Rank.R4>([batch * sizes['focal-views'], 3, sizes['focal-image'], sizes['focal-image']], 0, 1, 'float32', seed + 2),
  };
}

const median = (values: number[]) => [...values].sort((left, right) => left - right)[Math.floor(values.length / 2)]!;

interface OursResult {
  backend: string;
  medianMs: number;
  minMs: number;
  steps: number;
  losses: number[];
}

async function benchOurs(backend: TestBackend, timedSteps: number, warmupSteps: number, blas: string, explicitTransposes = false): Promise<OursResult> {
  await useBackend(backend);
  let label: string = backend;
  if (backend === 'wasm') {
    const outcome = await enableBlas({ library: blas });
    label = outcome.blas === null ? `wasm (${outcome.summary})` : `wasm + ${outcome.summary}`;
    if (outcome.blas !== null && explicitTransposes) {
      declareTransposeFreeMatMul('wasm', false);
      label += ', explicit transposes';
    }
    process.stderr.write(`  ${label}\n`);
  }
  const model = createBenchModel(sizes);
  // lightly's example / the reference script: AdamW lr 1e-3, weight decay 0.04 on every parameter.
  const optimizer = model.createOptimizer({ learningRate: 1e-3, weightDecay: 0.04, weightDecayFilter: decayEverything });
  const loss = new MSNLoss();
  const times: number[] = [];
  const losses: number[] = [];
  for (let step = 0; step < warmupSteps + timedSteps; step++) {
    // From seed 1: tfjs treats seed 0 as "no seed" (Math.random), so step 1 differed from run to run.
    const batch = createBatch(step * 3 + 1);
    const start = performance.now();
    const result = await msnTrainingStep(model, batch, { optimizer, loss, momentum: 0.996, maskSeed: step });
    const elapsed = performance.now() - start;
    tf.dispose([batch.targets, batch.anchors as tf.Tensor, batch.focal]);
    losses.push(result.loss);
    if (step >= warmupSteps) times.push(elapsed);
    process.stderr.write(`  ${label} step ${step + 1}/${warmupSteps + timedSteps}: ${elapsed.toFixed(0)} ms${step < warmupSteps ? ' (warm-up)' : ''}\n`);
  }
  if (flag('profile')) await profile(model, optimizer, loss, label);
  optimizer.dispose();
  model.dispose();
  return { backend: label, medianMs: median(times), minMs: Math.min(...times), steps: timedSteps, losses };
}

// The step's phases timed separately (cpu and wasm run kernels synchronously, so wall time is kernel time), then the
// kernels of one whole step by total time.
async function profile(model: MSNModel, optimizer: ReturnType<MSNModel['createOptimizer']>, loss: MSNLoss, label: string): Promise<void> {
  const batch = createBatch(1000);
  const phases: Record<string, number> = {};
  const time = <T>(name: string, run: () => T): T => {
    const start = performance.now();
    const result = run();
    phases[name] = (phases[name] ?? 0) + performance.now() - start;
    return result;
  };
  const idxKeepAnchors = model.drawMask(sizes.batch, sizes.image)!;
  const idxKeepFocal = model.drawMask(sizes.batch * sizes['focal-views'], sizes['focal-image'])!;
  time('1 EMA', () => model.updateTarget(0.996));
  const targetsOut = time('2 target forward', () => model.forwardTarget(batch.targets));
  const { value, grads } = time('3 anchor forward + loss + backward', () =>
    tf.variableGrads(() => {
      const anchorsOut = tf.concat([model.forwardAnchor(batch.anchors as tf.Tensor4D, idxKeepAnchors), model.forwardAnchor(batch.focal, idxKeepFocal)]);
      return loss.forward(anchorsOut, targetsOut, model.prototypes);
    }, [...model.trainableParameters().values()]),
  );
  const names = new Map([...model.trainableParameters()].map(([name, variable]) => [variable.name, name]));
  time('4 AdamW', () => optimizer.step(new Map(Object.entries(grads).map(([name, gradient]) => [names.get(name)!, gradient]))));
  tf.dispose([value, targetsOut, ...Object.values(grads)]);
  const total = Object.values(phases).reduce((sum, ms) => sum + ms, 0);
  console.log(`\nphases on ${label} (one step, ${total.toFixed(0)} ms):`);
  for (const [name, ms] of Object.entries(phases))
    console.log(`  ${name.padEnd(38)} ${ms.toFixed(0).padStart(7)} ms  ${((100 * ms) / total).toFixed(1).padStart(5)} %`);

  const info = await tf.profile(async () => {
    const result = await msnTrainingStep(model, batch, { optimizer, loss, maskSeed: 1 });
    return result.loss;
  });
  const byKernel = new Map<string, { ms: number; calls: number }>();
  for (const kernel of info.kernels) {
    // Scopes (custom gradients, fused-op wrappers) contain kernels that are listed themselves: count kernels only.
    if (kernel.name === 'unnamed scope' || kernel.name.endsWith('__op')) continue;
    const ms = typeof kernel.kernelTimeMs === 'number' ? kernel.kernelTimeMs : 0;
    const key = flag('shapes') ? `${kernel.name} ${JSON.stringify(kernel.inputShapes)}` : kernel.name;
    const entry = byKernel.get(key) ?? { ms: 0, calls: 0 };
    entry.ms += ms;
    entry.calls += 1;
    byKernel.set(key, entry);
  }
  const kernelTotal = [...byKernel.values()].reduce((sum, entry) => sum + entry.ms, 0);
  console.log(`peak tensor memory of one step: ${(info.peakBytes / 2 ** 20).toFixed(0)} MiB (tf.profile)`);
  console.log(`kernels of one step (tf.profile, ${kernelTotal.toFixed(0)} ms in ${info.kernels.length} calls; --shapes splits them by input shapes):`);
  for (const [name, entry] of [...byKernel].sort((left, right) => right[1].ms - left[1].ms).slice(0, flag('shapes') ? 30 : 15)) {
    console.log(
      `  ${name.padEnd(flag('shapes') ? 60 : 24)} ${entry.ms.toFixed(0).padStart(7)} ms  ${String(entry.calls).padStart(5)} calls  ${((100 * entry.ms) / kernelTotal).toFixed(1).padStart(5)} %`,
    );
  }
  tf.dispose([batch.targets, batch.anchors as tf.Tensor, batch.focal, idxKeepAnchors, idxKeepFocal]);
}

function benchTorch(): { msPerStep: number; raw: string } | { error: string } {
  const script = resolve(repositoryRoot(), '../shared/reference/torch_msn_step.py');
  const args = [
    script,
    ...Object.entries(sizes).map(([name, value]) => `--${name}=${value}`),
    `--steps=${steps}`,
    `--warmup=${warmup}`,
    `--threads=${threads}`,
  ];
  const run = spawnSync('/usr/bin/python3', args, { encoding: 'utf8' });
  if (run.status !== 0) return { error: `${run.error?.message ?? ''}${run.stderr}`.trim().split('\n').slice(-3).join(' | ') };
  const line = run.stdout.trim().split('\n').at(-1)!;
  return { msPerStep: (JSON.parse(line) as { ms_per_step: number }).ms_per_step, raw: line };
}

console.log(`MSN training step: ${JSON.stringify(sizes)}, MLP ${4 * sizes.dim}, ${warmup} warm-up + ${steps} timed steps`);
console.log(
  `load average before: ${loadavg()
    .map((load) => load.toFixed(2))
    .join(' ')} on this machine`,
);
const ours: OursResult[] = [];
for (const backend of backends) {
  for (const blas of backend === 'wasm' ? blasChoices : ['none']) {
    // cpu is ~25x slower than wasm at these sizes: one timed step there, no warm-up.
    ours.push(await benchOurs(backend, backend === 'cpu' ? 1 : steps, backend === 'cpu' ? 0 : warmup, blas));
    // The second lever alone: the same BLAS with the layers' explicit transposes (as on stock wasm).
    if (backend === 'wasm' && blas !== 'none' && flag('explicit-transposes')) ours.push(await benchOurs(backend, steps, warmup, blas, true));
  }
}
const torch = flag('no-torch') ? undefined : benchTorch();
console.log('\nresults (median ms per step; lower is better):');
for (const result of ours) {
  const ratio = torch && 'msPerStep' in torch ? `  ${(result.medianMs / torch.msPerStep).toFixed(2)}x PyTorch` : '';
  console.log(
    `  @msn/trainer ${result.backend} ${result.medianMs.toFixed(0).padStart(7)} ms/step (min ${result.minMs.toFixed(0)}, ${result.steps} steps, ${(sizes.batch / (result.medianMs / 1000)).toFixed(1)} images/s)${ratio}`,
  );
}
if (torch === undefined) console.log('  PyTorch: skipped (--no-torch)');
else if ('error' in torch) console.log(`  PyTorch: failed: ${torch.error}`);
else console.log(`  PyTorch (torch_msn_step.py, ${threads} threads) ${torch.msPerStep.toFixed(0).padStart(7)} ms/step   ${torch.raw}`);
console.log(
  `load average after: ${loadavg()
    .map((load) => load.toFixed(2))
    .join(' ')}`,
);
