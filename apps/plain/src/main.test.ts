import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TINY_MODEL_FLAGS, readMetricRows, runExample, withFlag } from '@msn/test-utils/example-app';
import { afterAll, describe, expect, it } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));
const appFolder = join(here, '..');
const root = mkdtempSync(join(tmpdir(), 'msn-example-plain-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

// A model and data small enough for a few seconds on the cpu backend.
const TINY = [...TINY_MODEL_FLAGS, '--backend', 'cpu', '--schedule', 'constant', '--synthetic-images', '32', '--eval-subset', '240'];
const runApp = (args: string[]) => runExample(appFolder, args);
const lossRows = (folder: string) => readMetricRows<{ step: number; loss: number }>(folder);

describe('example-plain', () => {
  it('trains two steps, checkpoints, logs, evaluates; resuming continues exactly like an uninterrupted run', async () => {
    const [twoSteps, fourSteps] = [join(root, 'two'), join(root, 'four')];
    const [first, reference] = await Promise.all([
      runApp([...TINY, '--steps', '2', '--out', twoSteps]),
      runApp([...TINY, '--steps', '4', '--no-evaluate', '--out', fourSteps]),
    ]);
    expect(first.status, first.stderr).toBe(0);
    expect(reference.status, reference.stderr).toBe(0);
    expect(first.stderr).toMatch(/^backend: cpu \(tfjs-backend-cpu 4\.22\.0\)/);
    expect(first.stderr).toMatch(/step 2\/2 \| epoch 1 \| loss \d+\.\d{4}/);
    expect(first.stdout).toMatch(/label efficiency on synthetic/);
    for (const row of ['MSN target encoder \\(trained\\)', 'same encoder, random init', 'raw pixels']) {
      expect(first.stdout).toMatch(new RegExp(`${row}\\s+\\d+\\.\\d(\\s+\\d+\\.\\d ± \\d+\\.\\d){4}`));
    }
    expect(lossRows(twoSteps).map((row) => row.step)).toEqual([1, 2]);
    expect(readFileSync(join(twoSteps, 'metrics.csv'), 'utf8').split('\n')[0]).toMatch(/^step,epoch,loss,crossEntropy,regLoss,gradNorm,learningRate/);
    const state = JSON.parse(readFileSync(join(twoSteps, 'checkpoints', 'last', 'state.json'), 'utf8'));
    expect(state.progress).toEqual({ epoch: 0, batchInEpoch: 2, globalStep: 2 });
    expect(existsSync(join(twoSteps, 'checkpoints', 'last', 'model.safetensors'))).toBe(true);
    expect(JSON.parse(readFileSync(join(twoSteps, 'evaluation.json'), 'utf8')).rows).toHaveLength(3);
    // Health metrics are logged with the loss; the summary keeps what the collapse detector found.
    expect(lossRows(twoSteps)[1]).toMatchObject({
      prototypes_used: expect.any(Number),
      anchor_entropy: expect.any(Number),
      feature_cosine: expect.any(Number),
      collapse_warnings: 0,
    });
    expect(JSON.parse(readFileSync(join(twoSteps, 'health.json'), 'utf8'))).toMatchObject({ collapsed: false, warnings: [] });

    const resumed = await runApp([...TINY, '--steps', '4', '--no-evaluate', '--out', twoSteps, '--resume', join(twoSteps, 'checkpoints', 'last')]);
    expect(resumed.status, resumed.stderr).toBe(0);
    expect(resumed.stderr).toMatch(/resumed from .* at step 2 \(epoch 0, batch 2\)/);
    // Steps 3 and 4 after resuming equal steps 3 and 4 of the uninterrupted run (same data, masks, state).
    // (The health windows, prototypes_used and the collapse detector, start afresh at a resume.)
    expect(lossRows(twoSteps)).toEqual(lossRows(fourSteps).map((row) => ({ ...row, milliseconds: expect.any(Number), prototypes_used: expect.any(Number) })));
    // The resumed run's report covers both parts; each part wrote its own TensorBoard event file.
    const report = readFileSync(join(twoSteps, 'report.html'), 'utf8');
    const charts = (JSON.parse(/id="report-data">(.*?)<\/script>/s.exec(report)![1]!) as { charts: { id: string; x: number[] }[] }).charts;
    expect(charts.find((chart) => chart.id === 'loss')!.x).toEqual([1, 2, 3, 4]);
    expect(readdirSync(twoSteps).filter((name) => name.startsWith('events.out.tfevents.'))).toHaveLength(2);
  }, 120_000);

  it('warns of a collapse within the first few hundred steps, and not with the recipe default that remedies it', async () => {
    // The fmnist-tiny protocol's flags (constant lr 1e-3, EMA 0.996, K 256, MSN's augmentations, the reference loss
    // without the entropy term) on the main job's model and data: the predictions go uniform, the loss sits at ln K.
    const protocol = [
      '--schedule',
      'constant',
      '--learning-rate',
      '1e-3',
      '--momentum',
      '0.996',
      '--prototypes',
      '256',
      '--random-crop-scale',
      '0.3',
      '--focal-crop-scale',
      '0.05,0.3',
      '--blur',
      '0.5',
      '--grayscale',
      '0.2',
      '--max-grad-norm',
      '0',
    ];
    const common = ['--steps', '200', '--no-evaluate', '--workers', '0', '--checkpoint-every', '1000'];
    const [collapsing, remedied] = [join(root, 'collapsing'), join(root, 'remedied')];
    const [collapsed, fine] = await Promise.all([
      runApp([...protocol, '--entropy-weight', '0', ...common, '--out', collapsing]),
      runApp([...protocol, ...common, '--out', remedied]),
    ]);
    expect(collapsed.status, collapsed.stderr).toBe(0);
    const warning = /^warning: collapse: uniform at step (\d+): predictions ≈ uniform: per-image anchor entropy (0\.\d+)·ln K/m.exec(collapsed.stderr);
    expect(warning, collapsed.stderr).not.toBeNull();
    expect(Number(warning![1])).toBeLessThanOrEqual(200);
    expect(JSON.parse(readFileSync(join(collapsing, 'health.json'), 'utf8'))).toMatchObject({
      collapsed: true,
      collapsedAtEnd: ['uniform'],
      warnings: [{ kind: 'uniform' }],
    });
    expect((lossRows(collapsing).at(-1) as unknown as { collapse_warnings: number }).collapse_warnings).toBe(1);
    // The recipe's default --entropy-weight 1 (the original MSN code's per-image entropy term) keeps them committed.
    expect(fine.status, fine.stderr).toBe(0);
    expect(fine.stderr).not.toMatch(/warning: collapse/);
    expect(JSON.parse(readFileSync(join(remedied, 'health.json'), 'utf8'))).toMatchObject({ collapsed: false, warnings: [] });
    const lastRow = lossRows(remedied).at(-1) as unknown as { anchor_entropy: number };
    expect(lastRow.anchor_entropy).toBeLessThan(0.95);
  }, 240_000);

  it('reports bad arguments clearly, before training', async () => {
    const cases: [string[], number, RegExp][] = [
      [['--backend', 'webgl'], 2, /error: command line: invalid argument '--backend' = "webgl"; expected one of tensorflow, webgpu, wasm, cpu/],
      [['--steps', '0'], 2, /'--steps' = "0"; expected an integer >= 1/],
      [['--batch-size', 'many'], 2, /'--batch-size' = "many"; expected an integer >= 1/],
      [['--steps', '5', '--epochs', '1'], 2, /'--epochs' = 1; expected either --steps or --epochs, not both/],
      [['--power-law-exponent', '0.5'], 2, /'--power-law-exponent' = 0.5; expected no exponent with --prior uniform/],
      [['--image-size', '30'], 2, /'--image-size' = 30; expected an image size that is a multiple of the patch size \(image 30, patch 4\)/],
      [['--lerning-rate', '1'], 2, /error: command line: unknown flag '--lerning-rate'; did you mean --learning-rate\?/],
      [
        [...TINY, '--prior', join(root, 'missing-prior.mjs')],
        1,
        /error: loadPriorModule: invalid argument 'path' = ".*missing-prior.mjs"; expected an existing module file/,
      ],
      [
        [...withFlag(TINY, '--prototypes', '12'), '--prior', join(here, '__fixtures__', 'eight-clusters-prior.mjs')],
        1,
        /probePrior: invalid argument 'prior eight-clusters-prior.mjs#default' = function eightClusters; expected a prior over the 12 prototypes .*returned shape \[8\]; expected \[12\]/,
      ],
      [
        [...TINY, '--dataset', 'folder', '--data', join(root, 'no-such-folder')],
        1,
        /error: openDataset: invalid argument 'path' = ".*no-such-folder"; expected an existing folder with the folder data \(it does not exist/,
      ],
      [[...TINY, '--dataset', 'cifar10'], 1, /'path' = undefined; expected the data folder of cifar10 \(pass --data/],
    ];
    const results = await Promise.all(cases.map(([args]) => runApp([...args, '--out', join(root, 'errors')])));
    results.forEach((result, index) => {
      const [, status, message] = cases[index]!;
      expect(result.stderr, cases[index]![0].join(' ')).toMatch(message);
      expect(result.status).toBe(status);
      expect(result.stderr).not.toMatch(/^\s+at /m); // no stack trace without MSN_DEBUG
    });
  }, 120_000);
});
