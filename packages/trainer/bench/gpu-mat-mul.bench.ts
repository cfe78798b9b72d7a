// The products of a ViT-S/16 MSN step on webgpu: GFLOP/s of tfjs' own BatchMatMul/_FusedMatMul against our tiled
// WGSL program, side by side in one run, checked against each other. Not part of `test`.
//
//   npx -y pnpm@12.4.2 --filter @msn/trainer bench:gpu-mat-mul              # on a GPU
//   DAWN_BACKEND=opengles EGL_PLATFORM=surfaceless npx tsx bench/gpu-mat-mul.bench.ts --scale 0.125   # Mesa
//
// --scale shrinks the token count (rows) so that Mesa's emulated GPU finishes; --repeats sets the timed runs.
import * as tf from '@tensorflow/tfjs-core';
import { registerWebgpuKernels, unregisterWebgpuKernels } from '../src/backend/webgpu-kernels/register-webgpu-kernels';
import { setupTensorflow } from '../src/index';

const argument = (name: string): string | undefined => {
  const index = process.argv.indexOf(`--${name}`);
  return index === -1 ? undefined : process.argv[index + 1];
};
const scale = Number(argument('scale') ?? 1);
const repeats = Number(argument('repeats') ?? 10);

// ViT-S/16 at B 64: 64·197 target tokens, D 384, MLP 1536; each linear layer forward (x·W + b) and the two
// backward products (dy·Wᵀ, xᵀ·dy).
const tokens = Math.max(64, Math.round(64 * 197 * scale));
const products: { name: string; a: [number, number]; b: [number, number]; transposeA?: boolean; transposeB?: boolean; bias?: boolean }[] = [
  { name: 'qkv   x·W+b', a: [tokens, 384], b: [384, 1152], bias: true },
  { name: 'fc1   x·W+b', a: [tokens, 384], b: [384, 1536], bias: true },
  { name: 'fc2   x·W+b', a: [tokens, 1536], b: [1536, 384], bias: true },
  { name: 'fc1   dy·Wᵀ', a: [tokens, 1536], b: [384, 1536], transposeB: true },
  { name: 'fc1   xᵀ·dy', a: [tokens, 384], b: [tokens, 1536], transposeA: true },
];

async function time(run: () => tf.Tensor): Promise<number> {
  await run().data(); // compiles the pipeline
  const times: number[] = [];
  for (let repeat = 0; repeat < repeats; repeat++) {
    const start = performance.now();
    const result = run();
    await result.data();
    times.push(performance.now() - start);
    result.dispose();
  }
  return [...times].sort((left, right) => left - right)[Math.floor(times.length / 2)]!;
}

const choice = await setupTensorflow({ backend: 'webgpu', log: false });
console.log(`${choice.description}\n${tokens} token rows, median of ${repeats} (each with its read-back)\n`);
console.log(`${'product'.padEnd(14)} ${'shape'.padEnd(28)} ${'stock'.padStart(22)} ${'tiled'.padStart(22)}  speed-up  max |Δ|`);
for (const { name, a, b, transposeA = false, transposeB = false, bias = false } of products) {
  const x = tf.randomNormal(a, 0, 1, 'float32', 1);
  const y = tf.randomNormal(b, 0, 1, 'float32', 2);
  const width = transposeB ? b[0]! : b[1]!;
  const shift = tf.randomNormal([width], 0, 1, 'float32', 3);
  const run = () => (bias ? tf.fused.matMul({ a: x, b: y, transposeA, transposeB, bias: shift }) : tf.matMul(x, y, transposeA, transposeB));
  const depth = transposeA ? a[0]! : a[1]!;
  const flops = 2 * (transposeA ? a[1]! : a[0]!) * width * depth;
  unregisterWebgpuKernels();
  const stockMs = await time(run);
  const stock = run();
  registerWebgpuKernels({ fused: false, tiledMatMul: { minimumTiles: 1 } });
  const tiledMs = await time(run);
  const tiled = run();
  const gap = tf.tidy(() => tf.max(tf.abs(tf.sub(stock, tiled))));
  const difference = (await gap.data())[0]!;
  const rate = (ms: number) => `${ms.toFixed(1)} ms ${(flops / ms / 1e6).toFixed(0).padStart(6)} GF/s`;
  const shape = `[${a}]${transposeA ? 'ᵀ' : ''}·[${b}]${transposeB ? 'ᵀ' : ''}`;
  console.log(
    `${name.padEnd(14)} ${shape.padEnd(28)} ${rate(stockMs).padStart(22)} ${rate(tiledMs).padStart(22)}  ${(stockMs / tiledMs).toFixed(2).padStart(7)}×  ${difference.toExponential(1)}`,
  );
  tf.dispose([x, y, shift, stock, tiled, gap]);
}
