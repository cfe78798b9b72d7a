// A short training run on webgpu logs the losses of the same run on wasm (same seed, data, masks).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TINY_MODEL_FLAGS, readMetricRows, runExample } from '@msn/test-utils/example-app';
import { afterAll, describe, expect, it } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'msn-example-plain-webgpu-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

// Small enough for Mesa's software rasteriser (llvmpipe) behind Dawn's GL ES backend.
const TINY = [...TINY_MODEL_FLAGS, '--schedule', 'constant', '--synthetic-images', '32', '--steps', '4', '--no-evaluate', '--checkpoint-every', '1000'];
// Step 1 starts from identical weights and data: only the forward pass's rounding differs.
const FIRST_STEP_TOLERANCE = 1e-5;
// Later steps: float32 noise is large here and measured, not guessed. A few gradients are exactly zero in exact
// arithmetic (the fixtures' looseTensors: encoder.ln.bias, in_proj_bias keys) and rounding noise in float32, which
// Adam turns into full-size steps, and training-mode BatchNorm over 8 samples amplifies rounding in the backbone's
// gradients (cpu and wasm differ by ~2e-3 there). cpu and wasm both pass every fixture, so their spread is the
// noise; webgpu must stay within a small multiple of it.
const NOISE_MULTIPLE = 4;
const METRICS = ['loss', 'crossEntropy', 'regLoss', 'gradNorm'] as const;

type Row = { step: number; loss: number; crossEntropy: number; regLoss: number; gradNorm: number };

// DAWN_BACKEND=opengles: Mesa's GL ES when there is no Vulkan GPU (CI); a real adapter is used where present.
const runApp = (args: string[]) => runExample(join(here, '..'), args, { DAWN_BACKEND: process.env.DAWN_BACKEND ?? 'opengles' });

const rows = (folder: string) => readMetricRows<Row>(folder);

// Opt-in like the fixture suites (MSN_TEST_WEBGPU=1, set by CI where Mesa's EGL and GL ES are installed).
describe.skipIf(process.env.MSN_TEST_WEBGPU !== '1')('example-plain on webgpu', () => {
  it('logs the same losses as wasm for the same seed (within the cpu–wasm spread), on an explicitly requested software adapter', async () => {
    const backends = ['wasm', 'cpu', 'webgpu'] as const;
    const runs = await Promise.all(backends.map((backend) => runApp([...TINY, '--backend', backend, '--out', join(root, backend)])));
    for (const [index, run] of runs.entries()) expect(run.status, `${backends[index]}: ${run.stderr}`).toBe(0);
    expect(runs[2]!.stderr).toMatch(/^backend: webgpu \(tfjs-backend-webgpu 4\.22\.0, adapter .+\)$/m);
    // WebGPU reports invalid pipelines only as console warnings (and then drops the work); none may occur.
    expect(runs[2]!.stderr).not.toMatch(/Invalid (ComputePipeline|CommandBuffer|BindGroup)/);
    const [wasm, cpu, webgpu] = backends.map((backend) => rows(join(root, backend))) as [Row[], Row[], Row[]];
    expect(webgpu.map((row) => row.step)).toEqual([1, 2, 3, 4]);
    const relative = (got: number, want: number) => Math.abs(got - want) / Math.max(1, Math.abs(want));
    for (const key of ['loss', 'crossEntropy', 'regLoss'] as const) {
      expect(relative(webgpu[0]![key], wasm[0]![key]), `step 1 ${key}: webgpu ${webgpu[0]![key]}, wasm ${wasm[0]![key]}`).toBeLessThanOrEqual(
        FIRST_STEP_TOLERANCE,
      );
    }
    const spread = (rowsOf: Row[]) => Math.max(...wasm.flatMap((row, index) => METRICS.map((key) => relative(rowsOf[index]![key], row[key]))));
    const [noise, webgpuDeviation] = [spread(cpu), spread(webgpu)];
    expect(noise, 'cpu and wasm differ at all (else the bound below is vacuous)').toBeGreaterThan(0);
    expect(webgpuDeviation, `webgpu deviates ${webgpuDeviation.toExponential(2)} from wasm; cpu ${noise.toExponential(2)}`).toBeLessThanOrEqual(
      NOISE_MULTIPLE * noise,
    );
    // The run learns something: the loss falls over the four steps on every backend.
    for (const rowsOf of [wasm, cpu, webgpu]) expect(rowsOf[3]!.loss).toBeLessThan(rowsOf[0]!.loss);
  }, 240_000);
});
