// The heart of DDP: world size 2 with per-rank batch b trains exactly like one process with batch 2b.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FIXTURE_TOLERANCE, describeEachBackend, embeddedBackends, expectClose, type TestBackend } from '@msn/test-utils';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { PACKAGE_DIRECTORY, runRanks } from '../distributed/__fixtures__/spawn-ranks';
import { compareGradients, compareParameters } from './__fixtures__/equivalence-comparison';
import { SETUP, createLoss, createModel, runSteps, type LossKind, type RunReport, type Variant } from './__fixtures__/equivalence-setup';

const CHILD = join(PACKAGE_DIRECTORY, 'src/ddp/__fixtures__/equivalence-child.ts');
const KINDS = ['msn', 'pmsn'] as const;

interface ChildReport {
  rank: number;
  backend: string;
  shardMasksAgree: boolean;
  reports: Record<string, RunReport>;
}

/**
 * Fails (throws) unless the two ranks' run equals the single-process run: at every step the loss (mean over ranks),
 * cross-entropy, regulariser and the norm of the averaged gradient, and every parameter and buffer afterwards; the
 * averaged gradients themselves at step 1, where both runs start from the same parameters, as the step/ fixtures
 * record gradients at step 1. (From step 2 on the two runs' parameters differ by float32 rounding, ≤ 5 % of the
 * budget; the gradients of slightly different parameters add that difference to their own rounding, which
 * already uses up to about half the budget on wasm when only the row order of one process changes. What those
 * gradients do is checked through the parameters they produce.)
 */
function compareRuns(single: RunReport, first: RunReport, second: RunReport, label: string): void {
  single.steps.forEach((want, index) => {
    const step = `${label} step ${index + 1}`;
    const [mine, theirs] = [first.steps[index]!, second.steps[index]!];
    // Each rank's loss is its own shard's cross-entropy plus the shared regulariser: their mean is the 2b loss.
    expect(mine.loss).not.toBe(theirs.loss);
    expectClose((mine.loss + theirs.loss) / 2, want.loss, { label: `${step} loss (mean over ranks)`, tolerance: FIXTURE_TOLERANCE });
    expectClose((mine.crossEntropy + theirs.crossEntropy) / 2, want.crossEntropy, { label: `${step} crossEntropy`, tolerance: FIXTURE_TOLERANCE });
    for (const rank of [mine, theirs]) {
      expectClose(rank.regLoss, want.regLoss, { label: `${step} regLoss`, tolerance: FIXTURE_TOLERANCE });
      // The norm of the averaged gradient is the large batch's, and clipping used it.
      expectClose(rank.gradNorm, want.gradNorm, { label: `${step} gradNorm`, tolerance: FIXTURE_TOLERANCE });
    }
    if (index === 0) compareGradients(mine.gradients, want.gradients, step);
    compareParameters(single, mine.parameters, index, step);
  });
  // Ranks hold bit-identical weights (the broadcast replaced rank 1's different initialisation; the averaged
  // gradients and synchronised statistics are identical on both).
  expect(second.parameterDigest).toBe(first.parameterDigest);
}

async function runWorld(
  folder: string,
  backend: 'shm' | 'tcp',
  tensorBackend: TestBackend,
  runs: { kind: LossKind; variant: Variant }[],
): Promise<[ChildReport, ChildReport]> {
  const output = (rank: number) => join(folder, `${backend}-${runs[0]!.variant}-rank${rank}.json`);
  const outcomes = await runRanks(CHILD, SETUP.worldSize, (rank) => [JSON.stringify({ backend, tensorBackend, output: output(rank), runs })]);
  for (const outcome of outcomes) expect(outcome.code, outcome.stderr).toBe(0);
  const reports = [0, 1].map((rank) => JSON.parse(readFileSync(output(rank), 'utf8')) as ChildReport);
  expect(reports[0]!.backend).toBe(backend);
  // ddp(...).shardMasks draws the same split masks as this test (so the apps' DDP runs equal one-process runs).
  expect(reports.map((report) => report.shardMasksAgree)).toEqual([true, true]);
  return reports as [ChildReport, ChildReport];
}

describeEachBackend(embeddedBackends(), 'DDP (world size 2, batch b) equals one process with batch 2b', (tensorBackend: TestBackend) => {
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

  for (const backend of ['shm', 'tcp'] as const) {
    it(`MSN and PMSN over ${backend}: losses of ${SETUP.steps} steps, step-1 gradients, every parameter after each step`, async () => {
      const [rank0, rank1] = await runWorld(folder, backend, tensorBackend, KINDS.map((kind) => ({ kind, variant: 'ddp' as const })));
      for (const kind of KINDS) {
        const key = `${kind}/ddp`;
        compareRuns(singles[kind], rank0.reports[key]!, rank1.reports[key]!, `${kind} [${tensorBackend}, ${backend}]`);
      }
    });
  }

  if (tensorBackend === 'cpu') {
    it('negative controls: without synchronised BatchNorm, the distributed loss, or averaging before clipping, it fails', async () => {
      const variants = ['local-batch-norm', 'local-loss', 'clip-before-average'] as const;
      const [rank0, rank1] = await runWorld(folder, 'shm', tensorBackend, variants.map((variant) => ({ kind: 'msn' as const, variant })));
      for (const variant of variants) {
        const key = `msn/${variant}`;
        expect(() => compareRuns(singles.msn, rank0.reports[key]!, rank1.reports[key]!, variant), variant).toThrow();
      }
    });
  }
});
