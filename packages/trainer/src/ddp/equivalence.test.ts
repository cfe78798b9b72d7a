// The heart of DDP: under mpirun, world size 2 with per-rank batch b trains exactly like one process with batch 2b (and world 3).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FIXTURE_TOLERANCE, describeEachBackend, embeddedBackends, expectClose, type TestBackend } from '@msn/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MPI_MISSING, PACKAGE_DIRECTORY, runUnderMpirun } from '../distributed/__fixtures__/spawn-mpi';
import { compareGradients, compareParameters } from './__fixtures__/equivalence-comparison';
import { SETUP, createLoss, createModel, runSteps, type LossKind, type RunReport, type Variant } from './__fixtures__/equivalence-setup';

const CHILD = join(PACKAGE_DIRECTORY, 'src/ddp/__fixtures__/equivalence-child.ts');
const KINDS = ['msn', 'pmsn'] as const;
/** An even and an odd world: the one-process batch 2b = 6 is split into 3 or 2 samples per rank. */
const WORLD_SIZES = [2, 3] as const;

interface ChildReport {
  rank: number;
  backend: string;
  shardMasksAgree: boolean;
  reports: Record<string, RunReport>;
}

/**
 * Fails (throws) unless the ranks' run equals the single-process run: at every step the loss (mean over ranks),
 * cross-entropy, regulariser and the norm of the averaged gradient, and every parameter and buffer afterwards; the
 * averaged gradients themselves at step 1, where both runs start from the same parameters, as the step/ fixtures
 * record gradients at step 1. (From step 2 on the two runs' parameters differ by float32 rounding, ≤ 5 % of the
 * budget; the gradients of slightly different parameters add that difference to their own rounding, which
 * already uses up to about half the budget on wasm when only the row order of one process changes. What those
 * gradients do is checked through the parameters they produce.)
 */
function compareRuns(single: RunReport, ranks: RunReport[], label: string): void {
  single.steps.forEach((want, index) => {
    const step = `${label} step ${index + 1}`;
    const steps = ranks.map((rank) => rank.steps[index]!);
    const mean = (value: (rank: (typeof steps)[number]) => number) => steps.reduce((total, rank) => total + value(rank), 0) / steps.length;
    // Each rank's loss is its own shard's cross-entropy plus the shared regulariser: their mean is the 2b loss.
    expect(steps[0]!.loss).not.toBe(steps[1]!.loss);
    expectClose(
      mean((rank) => rank.loss),
      want.loss,
      { label: `${step} loss (mean over ranks)`, tolerance: FIXTURE_TOLERANCE },
    );
    expectClose(
      mean((rank) => rank.crossEntropy),
      want.crossEntropy,
      { label: `${step} crossEntropy`, tolerance: FIXTURE_TOLERANCE },
    );
    for (const rank of steps) {
      expectClose(rank.regLoss, want.regLoss, { label: `${step} regLoss`, tolerance: FIXTURE_TOLERANCE });
      // The norm of the averaged gradient is the large batch's, and clipping used it.
      expectClose(rank.gradNorm, want.gradNorm, { label: `${step} gradNorm`, tolerance: FIXTURE_TOLERANCE });
    }
    if (index === 0) compareGradients(steps[0]!.gradients, want.gradients, step);
    compareParameters(single, steps[0]!.parameters, index, step);
  });
  // Ranks hold bit-identical weights (the broadcast replaced the other ranks' different initialisations; the averaged
  // gradients and synchronised statistics are identical on all).
  for (const rank of ranks.slice(1)) expect(rank.parameterDigest).toBe(ranks[0]!.parameterDigest);
}

async function runWorld(folder: string, worldSize: number, tensorBackend: TestBackend, runs: { kind: LossKind; variant: Variant }[]): Promise<ChildReport[]> {
  const output = join(folder, `world${worldSize}-${runs[0]!.variant}`);
  const outcome = await runUnderMpirun(CHILD, worldSize, [JSON.stringify({ tensorBackend, output, runs })]);
  expect(outcome.code, outcome.stderr).toBe(0);
  const reports = Array.from({ length: worldSize }, (_, rank) => JSON.parse(readFileSync(`${output}-rank${rank}.json`, 'utf8')) as ChildReport);
  expect(reports.map((report) => [report.rank, report.backend])).toEqual(reports.map((_, rank) => [rank, 'mpi']));
  // ddp(...).shardMasks draws the same split masks as this test (so the apps' DDP runs equal one-process runs).
  expect(reports.map((report) => report.shardMasksAgree)).toEqual(reports.map(() => true));
  return reports;
}

const title = `DDP under mpirun (world size n, batch 2b/n) equals one process with batch 2b${MPI_MISSING ? ` (skipped: ${MPI_MISSING})` : ''}`;
describe.skipIf(MPI_MISSING !== undefined)(title, () =>
  describeEachBackend(embeddedBackends(), 'world sizes 2 and 3', (tensorBackend: TestBackend) => {
    const singles = {} as Record<LossKind, RunReport>;
    const folder = mkdtempSync(join(tmpdir(), 'msn-ddp-equivalence-'));

    beforeAll(async () => {
      for (const kind of KINDS) {
        const model = createModel(SETUP.modelSeed);
        singles[kind] = await runSteps(model, createLoss(kind), 0, 1);
        model.dispose();
      }
      // Clipping is active in most steps, so the test also checks that gradients are averaged before clipping.
      for (const kind of KINDS) expect(singles[kind].steps.filter((step) => step.gradNorm > SETUP.maxGradNorm).length).toBeGreaterThanOrEqual(2);
    });
    afterAll(() => rmSync(folder, { recursive: true, force: true }));

    for (const worldSize of WORLD_SIZES) {
      it(`MSN and PMSN with ${worldSize} ranks: losses of ${SETUP.steps} steps, step-1 gradients, every parameter after each step`, async () => {
        const ranks = await runWorld(
          folder,
          worldSize,
          tensorBackend,
          KINDS.map((kind) => ({ kind, variant: 'ddp' as const })),
        );
        for (const kind of KINDS) {
          const key = `${kind}/ddp`;
          compareRuns(
            singles[kind],
            ranks.map((rank) => rank.reports[key]!),
            `${kind} [${tensorBackend}, world ${worldSize}]`,
          );
        }
      });
    }

    if (tensorBackend === 'cpu') {
      it('negative controls: without synchronised BatchNorm, the distributed loss, or averaging before clipping, it fails', async () => {
        const variants = ['local-batch-norm', 'local-loss', 'clip-before-average'] as const;
        const ranks = await runWorld(
          folder,
          2,
          tensorBackend,
          variants.map((variant) => ({ kind: 'msn' as const, variant })),
        );
        for (const variant of variants) {
          const key = `msn/${variant}`;
          expect(
            () =>
              compareRuns(
                singles.msn,
                ranks.map((rank) => rank.reports[key]!),
                variant,
              ),
            variant,
          ).toThrow();
        }
      });
    }
  }),
);
