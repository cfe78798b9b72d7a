// Smoke tests of the DDP trainer as users run it: mpirun with two ranks on tiny synthetic data.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const APP = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const LIGHTNING_APP = resolve(APP, '../lightning');
/** Open MPI's mpirun (MSN_TEST_MPIRUN picks another); the training tests skip without it. */
const MPIRUN = process.env.MSN_TEST_MPIRUN ?? 'mpirun';
const mpirunVersion = spawnSync(MPIRUN, ['--version'], { encoding: 'utf8' });
const MPI_MISSING = mpirunVersion.error || mpirunVersion.status !== 0 ? `${MPIRUN} not found: apt-get install openmpi-bin libopenmpi-dev` : undefined;
// As the README says: more ranks than cores allowed, no core binding (it starves tfjs's threads), root in CI containers.
const OPEN_MPI_FLAGS = /Open MPI|OpenRTE/.test(mpirunVersion.stdout ?? '')
  ? ['--oversubscribe', '--bind-to', 'none', ...(process.getuid?.() === 0 ? ['--allow-run-as-root'] : [])]
  : [];
const root = mkdtempSync(join(tmpdir(), 'msn-example-ddp-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const TINY = [
  ...['--image-size', '16', '--focal-size', '8', '--focal-views', '2', '--patch-size', '4'],
  ...['--dim', '16', '--depth', '1', '--heads', '2', '--mlp-dim', '32', '--head-hidden', '32', '--head-out', '16', '--prototypes', '8'],
  ...['--synthetic-images', '64', '--workers', '0', '--checkpoint-every', '2', '--no-progress'],
];

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function execute(command: string[], cwd = APP, program = process.execPath): Promise<Run> {
  const child = spawn(program, command, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
  child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  return new Promise((resolveRun) => child.once('close', (code) => resolveRun({ code, stdout, stderr })));
}

/** `mpirun -np 2 node --import tsx src/main.ts …` (the app's start script). */
const launch = (flags: string[], ranks = 2) =>
  execute([...OPEN_MPI_FLAGS, '-np', String(ranks), process.execPath, '--import', 'tsx', 'src/main.ts', ...TINY, ...flags], APP, MPIRUN);
/** How many times `pattern` occurs in `text` (a line rank 0 alone prints occurs once). */
const occurrences = (text: string, pattern: RegExp) => text.match(new RegExp(pattern.source, 'g'))?.length ?? 0;

const rows = (out: string) =>
  readFileSync(join(out, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { step: number; loss?: number; grad_norm?: number })
    .filter((row) => row.loss !== undefined);
const losses = (out: string) => rows(out).map((row) => [row.step, row.loss!]);

describe.skipIf(MPI_MISSING !== undefined)(`example-ddp under mpirun${MPI_MISSING ? ` (skipped: ${MPI_MISSING})` : ''}`, () => {
  it('trains PMSN on two ranks, rank 0 alone logging and checkpointing; a resumed run continues exactly', async () => {
    const [partial, full] = [join(root, 'partial'), join(root, 'full')];
    // Constant schedules: the msn schedule spans --steps, so a 4-step run and a 6-step run differ by design.
    const common = ['--prior', 'power_law', '--backend', 'wasm', '--batch-size', '4', '--schedule', 'constant', '--no-evaluate'];
    const first = await launch([...common, '--steps', '4', '--out', partial]);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/example-ddp: 2 rank\(s\) on mpi, 4 images per rank \(8 per step\), synthetic \(64 images\), prior power_law/);
    expect(occurrences(first.stdout, /example-ddp: \d+ rank\(s\)/)).toBe(1);
    expect(existsSync(join(partial, 'checkpoints', 'last', 'state.json'))).toBe(true);
    expect(JSON.parse(readFileSync(join(partial, 'config.json'), 'utf8'))).toMatchObject({
      batchSize: 4,
      worldSize: 2,
      prior: 'power_law',
      schedule: 'constant',
    });
    const resumed = await launch([...common, '--steps', '6', '--out', partial, '--resume', 'auto']);
    expect(resumed.code, resumed.stderr).toBe(0);
    const uninterrupted = await launch([...common, '--steps', '6', '--out', full]);
    expect(uninterrupted.code, uninterrupted.stderr).toBe(0);
    const expected = losses(full);
    expect(expected.map(([step]) => step)).toEqual([1, 2, 3, 4, 5, 6]);
    for (const [, loss] of expected) expect(Number.isFinite(loss)).toBe(true);
    expect(losses(partial)).toEqual(expected);
    // Throughput is the job's: rank 0 logs images/s of the combined batch (2 ranks × 4 images), the batch size its
    // progress bar divides by too.
    const timed = readFileSync(join(full, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { milliseconds?: number; images_per_second?: number })
      .filter((row) => row.images_per_second !== undefined);
    expect(timed).toHaveLength(6);
    for (const row of timed) expect((row.images_per_second! * row.milliseconds!) / 1000).toBeCloseTo(8, 6);
    // Rank 0 alone writes the report, TensorBoard events and health.json with the power-law target.
    expect(existsSync(join(full, 'report.html'))).toBe(true);
    expect(readdirSync(full).filter((name) => name.startsWith('events.out.tfevents.'))).toHaveLength(1);
    expect(JSON.parse(readFileSync(join(full, 'health.json'), 'utf8')).prior).toMatchObject({
      description: 'power_law (PMSN, exponent 0.25)',
      shares: expect.any(Array),
    });
  });

  it('one rank with batch 8 and two with batch 4 train like apps/lightning with batch 8 (same samples, views, masks); rank 0 evaluates', async () => {
    const [one, two] = [join(root, 'one-rank'), join(root, 'two-ranks')];
    // The default (msn) schedules, as apps/lightning trains.
    const common = ['--steps', '3', '--backend', 'cpu'];
    const single = await launch([...common, '--batch-size', '8', '--no-evaluate', '--out', one], 1);
    expect(single.code, single.stderr).toBe(0);
    const distributed = await launch([...common, '--batch-size', '4', '--eval-subset', '240', '--out', two], 2);
    expect(distributed.code, distributed.stderr).toBe(0);
    // The label-efficiency table, once, from rank 0 (after the other rank has left).
    expect(distributed.stdout).toMatch(/MSN target encoder \(trained\)\s+\d+\.\d/);
    expect(distributed.stdout).toMatch(/same encoder, random init\s+\d+\.\d/);
    expect(occurrences(distributed.stdout, /MSN target encoder \(trained\)/)).toBe(1);
    expect(existsSync(join(two, 'evaluation.json'))).toBe(true);
    // apps/lightning, the one-process trainer these flags come from, with batch 8 (validation off: it does not train).
    const lightning = join(root, 'lightning');
    const reference = await execute(
      [
        '--import',
        'tsx',
        'src/main.ts',
        ...TINY.filter((flag) => flag !== '--no-progress'),
        ...common,
        '--batch-size',
        '8',
        '--val-every-n-epochs',
        '0',
        '--no-evaluate',
        '--out',
        lightning,
      ],
      LIGHTNING_APP,
    );
    expect(reference.code, reference.stderr).toBe(0);
    const want = rows(lightning);
    expect(want.map((row) => row.step)).toEqual([1, 2, 3]);
    // float32 arithmetic in another order: the fixtures' tolerance, |got − want| ≤ 1e-4·|want| + 1e-5·|want|.
    for (const [label, got] of [
      ['one rank, batch 8', rows(one)],
      ['two ranks, batch 4', rows(two)],
    ] as const) {
      expect(got.map((row) => row.step)).toEqual([1, 2, 3]);
      got.forEach((row, index) => {
        for (const key of ['loss', 'grad_norm'] as const) {
          const expected = want[index]![key]!;
          expect(Math.abs(row[key]! - expected), `${label}, step ${row.step} ${key}: ${row[key]} vs apps/lightning ${expected}`).toBeLessThanOrEqual(
            1.1e-4 * Math.abs(expected),
          );
        }
      });
    }
  });
});

describe('example-ddp flags', () => {
  it('reports bad flags and priors clearly, with a non-zero exit', async () => {
    const unknown = await execute(['--import', 'tsx', 'src/main.ts', '--stepz', '3']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown flag '--stepz'; did you mean --steps\?/);
    const valueless = await execute(['--import', 'tsx', 'src/main.ts', '--steps', '3', '--backend']);
    expect(valueless.code).toBe(2);
    expect(valueless.stderr).toMatch(/flag '--backend' is missing its value; expected one of .*\(it is the last argument\)/);
    const removed = await execute(['--import', 'tsx', 'src/main.ts', '--dist-backend', 'tcp']);
    expect(removed.code).toBe(2);
    expect(removed.stderr).toMatch(/unknown flag '--dist-backend'/);
    const missing = await execute(['--import', 'tsx', 'src/main.ts', '--prior', join(root, 'no-such-prior.js')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/loadPriorModule: invalid argument 'path' = ".*no-such-prior\.js"; expected an existing module file/);
    // Inside the app's node_modules, so the module finds @tensorflow/tfjs-core.
    const priors = mkdtempSync(join(APP, 'node_modules', '.test-priors-'));
    try {
      const wrongLength = join(priors, 'short-prior.mjs');
      writeFileSync(wrongLength, "import * as tf from '@tensorflow/tfjs-core';\nexport default () => tf.tensor1d([0.5, 0.5]);\n");
      const short = await execute([
        '--import',
        'tsx',
        'src/main.ts',
        ...TINY,
        '--batch-size',
        '4',
        '--steps',
        '1',
        '--backend',
        'cpu',
        '--prior',
        wrongLength,
        '--out',
        join(root, 'short'),
      ]);
      expect(short.code).toBe(1);
      expect(short.stderr).toMatch(/prior short-prior\.mjs#default.*8 prototypes.*returned shape \[2\]; expected \[8\]/);
    } finally {
      rmSync(priors, { recursive: true, force: true });
    }
  });
});
