// Forward and forward+backward time of MSNLoss at the size of the issue (N=64, V=11, D=256, K=1024), per
// backend: median of timed repeats after warm-up. Run: `npx -y pnpm@12.4.2 --filter @msn/loss bench`
// (`-- wasm` or `-- cpu` to pick one backend; MSN_BENCH_REPEATS overrides the repeat count).
import * as tf from '@tensorflow/tfjs-core';
import { MSNLoss } from '../src/msn-loss';

const config = { batchSize: 64, numViews: 11, dim: 256, numPrototypes: 1024, warmup: 2 };
const defaultRepeats: Record<string, number> = { wasm: 15, cpu: 5 };

async function activate(backend: string): Promise<void> {
  if (backend === 'wasm') await import('@tensorflow/tfjs-backend-wasm');
  else if (backend === 'cpu') await import('@tensorflow/tfjs-backend-cpu');
  else throw new Error(`loss.bench: unknown backend '${backend}'; expected wasm or cpu`);
  if (!(await tf.setBackend(backend))) throw new Error(`loss.bench: backend '${backend}' failed to initialise`);
  await tf.ready();
}

function median(values: number[]): number {
  const sorted = [...values].sort((left, right) => left - right);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Milliseconds per call, median over `repeats` after `config.warmup` untimed calls. */
function time(run: () => void, repeats: number): number {
  for (let call = 0; call < config.warmup; call++) run();
  const samples: number[] = [];
  for (let call = 0; call < repeats; call++) {
    const start = performance.now();
    run();
    samples.push(performance.now() - start);
  }
  return median(samples);
}

async function benchmark(backend: string): Promise<void> {
  await activate(backend);
  const { batchSize, numViews, dim, numPrototypes } = config;
  const anchors = tf.randomNormal([batchSize * numViews, dim], 0, 1, 'float32', 1) as tf.Tensor2D;
  const targets = tf.randomNormal([batchSize, dim], 0, 1, 'float32', 2) as tf.Tensor2D;
  const prototypes = tf.randomNormal([numPrototypes, dim], 0, 1, 'float32', 3) as tf.Tensor2D;
  const criterion = new MSNLoss();
  const lossAndGradients = tf.valueAndGrads((a: tf.Tensor, p: tf.Tensor) => criterion.forward(a as tf.Tensor2D, targets, p as tf.Tensor2D));
  const repeats = Number(process.env.MSN_BENCH_REPEATS ?? defaultRepeats[backend]);
  let lastLoss = Number.NaN;
  // Reading the results back makes sure the work is done inside the timed region.
  const forwardMs = time(() => {
    const loss = criterion.forward(anchors, targets, prototypes);
    lastLoss = loss.dataSync()[0]!;
    loss.dispose();
  }, repeats);
  const forwardBackwardMs = time(() => {
    const { value, grads } = lossAndGradients([anchors, prototypes]);
    lastLoss = value.dataSync()[0]!;
    grads.forEach((gradient) => gradient.dataSync());
    tf.dispose([value, ...grads]);
  }, repeats);
  tf.dispose([anchors, targets, prototypes]);
  const flags = backend === 'wasm' ? ` (simd ${tf.env().getBool('WASM_HAS_SIMD_SUPPORT')}, threads ${tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT')})` : '';
  console.log(
    `MSNLoss N=${batchSize} V=${numViews} D=${dim} K=${numPrototypes} on ${backend}${flags}: ` +
      `forward ${forwardMs.toFixed(1)} ms, forward+backward ${forwardBackwardMs.toFixed(1)} ms ` +
      `(median of ${repeats} after ${config.warmup} warm-up; loss ${lastLoss.toFixed(4)}; ${tf.memory().numTensors} tensors alive)`,
  );
}

async function main(): Promise<void> {
  // tfjs-core's Node bundle has no gradient functions; tfjs-layers registers them when loaded.
  await import('@tensorflow/tfjs-layers');
  const requested = process.argv.slice(2).filter((argument) => argument !== '--');
  for (const backend of requested.length > 0 ? requested : ['wasm', 'cpu']) await benchmark(backend);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
