import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TINY_MODEL_FLAGS, readMetricRows, runExample } from '@msn/test-utils/example-app';
import { afterAll, describe, expect, it } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'msn-example-lightning-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

// A model and data small enough for a few seconds on the cpu backend: 16 images, so an epoch is 2 steps.
const TINY = [...TINY_MODEL_FLAGS, '--backend', 'cpu', '--synthetic-images', '16', '--eval-subset', '240', '--val-every-n-epochs', '1', '--val-images', '48'];
const runApp = (args: string[]) => runExample(join(here, '..'), args);

describe('example-lightning', () => {
  it('fits a few steps with validation at the epoch end, checkpoints and loggers, evaluates, and resumes from the checkpoint', async () => {
    const out = join(root, 'run');
    const first = await runApp([...TINY, '--steps', '3', '--out', out]);
    expect(first.status, first.stderr).toBe(0);
    expect(first.stderr).toMatch(/^backend: cpu/);
    expect(first.stderr).toMatch(/validation: knn_accuracy \d\.\d{4}/);
    expect(first.stderr).toMatch(/fit ended \(maxSteps\) at step 3\/3/);
    expect(first.stdout).toMatch(/MSN target encoder \(trained\)\s+\d+\.\d/);
    expect(first.stdout).toMatch(/same encoder, random init\s+\d+\.\d/);
    const logged = readMetricRows(out);
    expect(logged.filter((row) => 'loss' in row).map((row) => row.step)).toEqual([1, 2, 3]);
    expect(logged.some((row) => row.knn_accuracy! >= 0 && row.knn_accuracy! <= 1)).toBe(true);
    // The msn schedule (3 steps: no warm-up): cosine learning rate below its 2e-3 peak, weight decay rising from 0.04,
    // momentum rising from 0.99.
    const [step1, step3] = [1, 3].map((step) => logged.find((row) => row.step === step)!);
    expect(step1!.lr).toBeLessThan(0.002);
    expect(step3!.lr).toBeLessThan(step1!.lr!);
    expect(step1!.momentum).toBe(0.99);
    expect(step3!.weight_decay).toBeGreaterThan(step1!.weight_decay!);
    expect(existsSync(join(out, 'metrics.csv'))).toBe(true);
    const state = JSON.parse(readFileSync(join(out, 'checkpoints', 'last', 'state.json'), 'utf8'));
    expect(state.progress).toMatchObject({ globalStep: 3, epoch: 1, batchInEpoch: 1 });
    expect(state.module).toEqual({ kind: 'MSNModule', seed: 0, randomViews: 2 });

    const resumed = await runApp([...TINY, '--steps', '4', '--no-evaluate', '--out', out, '--resume', join(out, 'checkpoints', 'last')]);
    expect(resumed.status, resumed.stderr).toBe(0);
    expect(
      readMetricRows(out)
        .filter((row) => 'loss' in row)
        .map((row) => row.step),
    ).toEqual([1, 2, 3, 4]);
  }, 120_000);

  it('reports bad arguments clearly', async () => {
    const results = await Promise.all([
      runApp(['--backend', 'gpu']),
      runApp(['--val-every-n-epochs', '-1']),
      runApp([...TINY, '--steps', '2', '--resume', join(root, 'no-checkpoint')]),
    ]);
    expect(results[0]!.stderr).toMatch(/invalid argument '--backend' = "gpu"; expected one of tensorflow, webgpu, wasm, cpu/);
    expect(results[0]!.status).toBe(2);
    expect(results[1]!.stderr).toMatch(/'--val-every-n-epochs' = "-1"; expected an integer >= 0/);
    expect(results[2]!.stderr).toMatch(/error: checkpoint '.*no-checkpoint' does not exist/);
    expect(results[2]!.status).toBe(1);
  }, 120_000);
});
