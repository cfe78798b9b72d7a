// The Trainer with strategy ddpStrategy(group): two ranks train like one process, rank 0 alone logs and checkpoints.
import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FIXTURE_TOLERANCE, expectClose, registerGradients, useBackend } from '@msn/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MPI_MISSING, PACKAGE_DIRECTORY, jsonLines, runUnderMpirun } from '../distributed/__fixtures__/spawn-mpi';
import { SingleProcessGroup } from '../distributed/single-process-group';
import { InvalidArgumentError } from '@msn/errors';
import { checkpointName } from '../lightning/callbacks/model-checkpoint';
import { JsonLinesLogger } from '../lightning/loggers/json-lines-logger';
import { Trainer } from '../lightning/trainer';
import { ToyLoader, ToyRegression } from '../lightning/__fixtures__/toy-regression';
import { ddpStrategy } from './ddp-strategy';
import { compareParameters } from './__fixtures__/equivalence-comparison';
import { SETUP, type RunReport } from './__fixtures__/equivalence-setup';
import { EquivalenceViews, createEquivalenceModule, trainEquivalenceModule } from './__fixtures__/msn-module-run';
import type { TrainerChildOptions } from './__fixtures__/trainer-child';

const CHILD = join(PACKAGE_DIRECTORY, 'src/ddp/__fixtures__/trainer-child.ts');
const root = mkdtempSync(join(tmpdir(), 'msn-ddp-strategy-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let runs = 0;

interface Report {
  ok?: boolean;
  rank: number;
  result?: { globalStep: number; epoch: number; stopReason: string; interruptCheckpoint?: string };
  weight?: number[];
  bias?: number[];
  batchSizes?: number[];
  /** tf.memory().numTensors after each step (rank 0). */
  tensors?: number[];
  callbacks?: number;
  loggers?: number;
  error?: { name: string; code?: string; failedRank?: number; message: string };
}

/** Two ranks of the trainer child under mpirun: each rank's report (by rank) and mpirun's exit code. */
async function trainRanks(
  options: Omit<TrainerChildOptions, 'folder'> & { folder?: string },
): Promise<{ folder: string; reports: Report[]; code: number | null }> {
  const folder = options.folder ?? join(root, `run-${runs++}`);
  const outcome = await runUnderMpirun(CHILD, 2, [JSON.stringify({ ...options, folder })]);
  const reports = jsonLines<Report>(outcome).sort((left, right) => left.rank - right.rank);
  expect(
    reports.map((report) => report.rank),
    outcome.stderr,
  ).toEqual([0, 1]);
  return { folder, reports, code: outcome.code };
}

const losses = (path: string) =>
  JsonLinesLogger.read(path)
    .filter((row) => 'loss' in row)
    .map((row) => row.loss!);

describe.skipIf(MPI_MISSING !== undefined)(`Trainer with ddpStrategy under mpirun${MPI_MISSING ? ` (skipped: ${MPI_MISSING})` : ''}`, () => {
  let single: { losses: number[]; weight: number[]; bias: number[] };
  let uninterrupted: { folder: string; reports: Report[]; code: number | null };

  beforeAll(async () => {
    await useBackend('cpu');
    const folder = join(root, 'single');
    const module = new ToyRegression(0);
    await new Trainer({ maxSteps: 6, loggers: [new JsonLinesLogger(join(folder, 'metrics.jsonl'))], handleSignals: false }).fit(module, new ToyLoader());
    single = { losses: losses(join(folder, 'metrics.jsonl')), weight: Array.from(module.weight.dataSync()), bias: Array.from(module.bias.dataSync()) };
    module.dispose();
  });

  it('two ranks with half batches train like one process; rank 0 alone logs the averaged loss and checkpoints', async () => {
    uninterrupted = await trainRanks({ maxSteps: 6 });
    const { folder, reports, code } = uninterrupted;
    expect(code).toBe(0);
    const [first, second] = reports as [Report, Report];
    expect([first.callbacks, first.loggers, second.callbacks, second.loggers]).toEqual([2, 1, 0, 0]);
    // (Rank 1 constructed its logger, which creates the folder, but wrote nothing.)
    expect(existsSync(join(folder, 'rank1', 'metrics.jsonl'))).toBe(false);
    expect(existsSync(join(folder, 'rank1', 'checkpoints'))).toBe(false);
    expect(realpathSync(join(folder, 'rank0', 'checkpoints', 'last'))).toBe(realpathSync(join(folder, 'rank0', 'checkpoints', checkpointName(6))));
    // Rank 1 started from other weights; the broadcast and the averaged gradients keep the ranks identical.
    expect(second.weight).toEqual(first.weight);
    expect(second.bias).toEqual(first.bias);
    expectClose(first.weight!, single.weight, { label: 'weight', tolerance: FIXTURE_TOLERANCE });
    expectClose(first.bias!, single.bias, { label: 'bias', tolerance: FIXTURE_TOLERANCE });
    // The logged loss is the mean of the ranks' losses: the whole batch's loss. Throughput counts both ranks' rows.
    expectClose(losses(join(folder, 'rank0', 'metrics.jsonl')), single.losses, { label: 'logged losses', tolerance: FIXTURE_TOLERANCE });
    expect(first.batchSizes).toEqual([8, 8, 8, 8, 8, 8]);
    // The averaged optimiser steps leak nothing: flat from the second step (the moments exist from the first).
    expect(new Set(first.tensors!.slice(1)).size).toBe(1);
  });

  it('every rank resumes from rank 0 checkpoint (other ranks need no access to it) and ends where the uninterrupted run ended', async () => {
    const checkpoint = join(uninterrupted.folder, 'rank0', 'checkpoints', checkpointName(3));
    const { reports, code } = await trainRanks({ maxSteps: 6, ckptPathOf: { 0: checkpoint, 1: join(root, 'nowhere') } });
    expect(code).toBe(0);
    for (const report of reports) {
      expect(report.result?.globalStep).toBe(6);
      expect(report.weight).toEqual(uninterrupted.reports[0]!.weight);
      expect(report.bias).toEqual(uninterrupted.reports[0]!.bias);
    }
  });

  it('an interrupt requested on rank 1 stops both ranks after the same step, with rank 0 checkpoint', async () => {
    const { folder, reports, code } = await trainRanks({ maxSteps: 6, everyNTrainSteps: 100, interruptAt: { rank: 1, step: 2 } });
    expect(code).toBe(0);
    const expected = join(folder, 'rank0', 'checkpoints', 'last');
    for (const report of reports) expect(report.result).toEqual({ globalStep: 2, epoch: 0, stopReason: 'interrupted', interruptCheckpoint: expected });
    expect(realpathSync(expected)).toBe(realpathSync(join(folder, 'rank0', 'checkpoints', checkpointName(2))));
  });

  it('a checkpoint rank 0 cannot read fails every rank with the same CheckpointError', async () => {
    const missing = join(root, 'missing-checkpoint');
    const { reports, code } = await trainRanks({ maxSteps: 2, ckptPath: missing });
    expect(code).not.toBe(0);
    expect(reports[0]!.error).toMatchObject({ name: 'CheckpointError', message: `checkpoint '${missing}' does not exist` });
    expect(reports[1]!.error).toMatchObject({ name: 'CheckpointError', message: `rank 0: checkpoint '${missing}' does not exist` });
  });
});

describe('ddpStrategy options', () => {
  it('rejects bad options', () => {
    const group = new SingleProcessGroup();
    expect(() => ddpStrategy({} as never)).toThrow(InvalidArgumentError);
    expect(() => ddpStrategy(group, { broadcastWeight: true } as never)).toThrow(/broadcastWeight/);
    expect(() => ddpStrategy(group, { broadcastWeights: 1 } as never)).toThrow(/'broadcastWeights' = 1; expected a boolean/);
    expect(() => new Trainer({ strategy: ddpStrategy(group), callbacks: [] })).not.toThrow();
  });
});

describe.skipIf(MPI_MISSING !== undefined)(`MSNModule with ddpStrategy under mpirun${MPI_MISSING ? ` (skipped: ${MPI_MISSING})` : ''}`, () => {
  it('two ranks with batch b train like one process with batch 2b (losses, every parameter after each step), and tear down', async () => {
    await registerGradients();
    await useBackend('cpu');
    const module = createEquivalenceModule(SETUP.modelSeed);
    const single = await trainEquivalenceModule(module, new EquivalenceViews(0, 1));
    module.dispose();
    // Clipping is active, so the gradients must be averaged before clipping.
    expect(single.steps.filter((step) => step.gradNorm > SETUP.maxGradNorm).length).toBeGreaterThanOrEqual(2);

    const output = join(root, 'msn-module');
    const outcome = await runUnderMpirun(join(PACKAGE_DIRECTORY, 'src/ddp/__fixtures__/msn-module-child.ts'), SETUP.worldSize, [
      JSON.stringify({ tensorBackend: 'cpu', output }),
    ]);
    expect(outcome.code, outcome.stderr).toBe(0);
    const [first, second] = [0, 1].map((rank) => JSON.parse(readFileSync(`${output}-rank${rank}.json`, 'utf8')) as { report: RunReport; tornDown: boolean });
    // Callbacks run on rank 0 only; what they see is the mean over ranks, i.e. the combined batch's values.
    expect(second!.report.steps).toEqual([]);
    expect(first!.report.steps).toHaveLength(SETUP.steps);
    single.steps.forEach((want, index) => {
      const got = first!.report.steps[index]!;
      const label = `MSNModule [cpu] step ${index + 1}`;
      for (const key of ['loss', 'crossEntropy', 'regLoss', 'gradNorm'] as const)
        expectClose(got[key], want[key], { label: `${label} ${key}`, tolerance: FIXTURE_TOLERANCE });
      compareParameters(single, got.parameters, index, label);
    });
    // Rank 1 started from other weights: the broadcast, synchronised BatchNorm and averaged gradients keep them identical.
    expect(second!.report.parameterDigest).toBe(first!.report.parameterDigest);
    expect([first!.tornDown, second!.tornDown]).toEqual([true, true]);
  });
});
