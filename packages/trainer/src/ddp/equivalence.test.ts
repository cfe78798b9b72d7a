// The heart of DDP: world size 2 with per-rank batch b trains exactly like one process with batch 2b.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FIXTURE_TOLERANCE, describeEachBackend, embeddedBackends, expectClose, type TestBackend } from '@msn/test-utils';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { PACKAGE_DIRECTORY, runRanks } from '../distributed/__fixtures__/spawn-ranks';
import { SETUP, createLoss, createModel, runSteps, type LossKind, type RunReport, type Variant } from './__fixtures__/equivalence-setup';

const CHILD = join(PACKAGE_DIRECTORY, 'src/ddp/__fixtures__/equivalence-child.ts');
const KINDS = ['msn', 'pmsn'] as const;
const BETA1 = 0.9;
const BETA2 = 0.999;

interface ChildReport {
  rank: number;
  backend: string;
  shardMasksAgree: boolean;
  reports: Record<string, RunReport>;
}

/**
 * Largest |AdamW step| / lr at step t, whatever the gradients: by Cauchy–Schwarz,
 * |m_t| ≤ (1−β₁) √(Σₖ (β₁²/β₂)^k) · √(v_t/(1−β₂)), so |m̂/√v̂| ≤ (1−β₁)/(1−β₁ᵗ) · √((1−β₂ᵗ)/(1−β₂)) · √(Σ_{k<t} (β₁²/β₂)^k)
 * (= 1 at t = 1, ≈ 1.0014 at t = 2, the fixtures' "|Adam step| ≤ ~1.0014·lr").
 */
function adamStepBound(t: number): number {
  let series = 0;
  for (let k = 0; k < t; k++) series += (BETA1 * BETA1 / BETA2) ** k;
  return ((1 - BETA1) / (1 - BETA1 ** t)) * Math.sqrt((1 - BETA2 ** t) / (1 - BETA2)) * Math.sqrt(series);
}

/**
 * Extra absolute allowances for the parameters whose gradient is zero in exact arithmetic (the fixtures' looseTensors,
 * derived here for two float32 runs instead of float32 against float64):
 *
 * - the key slice [D, 2D) of every `in_proj_bias` (a per-query constant added to all scores cancels in the softmax) and
 *   `encoder.ln.bias` (it shifts every class token by one vector, which the bias-free Linear and training-mode BatchNorm
 *   of the head remove). Their float32 gradient is rounding noise (~1e-8…1e-7), which Adam normalises into a step of
 *   up to `adamStepBound(t)·lr` in either direction, independently in each run (these biases get no weight decay). After
 *   T steps the two runs differ by at most 2·lr·Σ_{t≤T} adamStepBound(t);
 * - their target copies move by the EMA only: Δtarget_s = m·Δtarget_{s−1} + (1−m)·Δanchor_{s−1} (the EMA at the start
 *   of step s sees the anchor after s−1 steps);
 * - the running mean of the first BatchNorm of each head does see the shift c of encoder.ln.bias: its batch mean moves by
 *   W₀·c, |(W₀c)ᵢ| ≤ ‖W₀ᵢ‖₁·|c|∞, and running ← (1−μ)·running + μ·batch mean keeps the difference below the largest
 *   shift seen (anchor head: two calls per step, seeing the anchor after s−1 steps; target head: one call after the
 *   EMA). ‖W₀ᵢ‖₁ is bounded from the weights after `steps` steps plus the most each element can have moved.
 *
 * Everything else (including the gradients of these elements, which are compared with the standard tolerance) gets no
 * allowance.
 */
function looseAllowances(single: RunReport, steps: number): Map<string, (index: number) => number> {
  const { learningRate, momentum, weightDecay } = SETUP;
  const { hiddenDim, numLayers } = SETUP.config.vit;
  const anchorAfter = [0];
  for (let t = 1; t <= steps; t++) anchorAfter.push(anchorAfter[t - 1]! + 2 * learningRate * adamStepBound(t));
  const targetAfter = [0];
  for (let s = 1; s <= steps; s++) targetAfter.push(momentum * targetAfter[s - 1]! + (1 - momentum) * anchorAfter[s - 1]!);

  const allowances = new Map<string, (index: number) => number>();
  for (const [network, drift] of [['anchor', anchorAfter[steps]!], ['target', targetAfter[steps]!]] as const) {
    allowances.set(`${network}.backbone.vit.encoder.ln.bias`, () => drift);
    for (let layer = 0; layer < numLayers; layer++) {
      const name = `${network}.backbone.vit.encoder.layers.encoder_layer_${layer}.self_attention.in_proj_bias`;
      allowances.set(name, (index) => (index >= hiddenDim && index < 2 * hiddenDim ? drift : 0));
    }
    // Bound on ‖W₀ᵢ‖₁ during the run: each element moves by ≤ lr·(adamStepBound + wd·|w|) per step (anchor; the
    // target moves less, by the EMA).
    const weight = single.steps[steps - 1]!.parameters[`${network}.head.layers.0.weight`]!;
    const inputDim = hiddenDim;
    const largest = weight.reduce((maximum, value) => Math.max(maximum, Math.abs(value)), 0);
    let movement = 0;
    for (let t = 1; t <= steps; t++) movement += learningRate * (adamStepBound(t) + weightDecay * (largest + movement));
    const rowNorms = Array.from({ length: weight.length / inputDim }, (_, row) =>
      weight.slice(row * inputDim, (row + 1) * inputDim).reduce((sum, value) => sum + Math.abs(value) + movement, 0),
    );
    // Calls of the head per step and the ln.bias shift each call of step s sees.
    const calls = network === 'anchor' ? 2 : 1;
    const shiftAtStep = (s: number) => (network === 'anchor' ? anchorAfter[s - 1]! : targetAfter[s]!);
    const batchNormMomentum = 0.1;
    allowances.set(`${network}.head.layers.1.running_mean`, (index) => {
      let difference = 0;
      for (let s = 1; s <= steps; s++) {
        for (let call = 0; call < calls; call++) difference = (1 - batchNormMomentum) * difference + batchNormMomentum * rowNorms[index]! * shiftAtStep(s);
      }
      return difference;
    });
  }
  return allowances;
}

/** For gradients: the absolute part of the tolerance of encoder.ln.bias (all rounding noise) comes from its LayerNorm's weight. */
function gradientScale(gradients: Record<string, number[]>, name: string): number[] {
  if (!name.endsWith('encoder.ln.bias')) return gradients[name]!;
  return [...gradients[name]!, ...gradients[name.replace(/bias$/, 'weight')]!];
}

function compareGradients(got: Record<string, number[]>, want: Record<string, number[]>, label: string): void {
  expect(Object.keys(got).sort()).toEqual(Object.keys(want).sort());
  for (const name of Object.keys(want)) {
    const scale = gradientScale(want, name);
    const largest = scale.reduce((maximum, value) => Math.max(maximum, Math.abs(value)), 0);
    const ownLargest = want[name]!.reduce((maximum, value) => Math.max(maximum, Math.abs(value)), 0);
    // expectClose takes max|want| from the tensor; the difference to the wider scale goes into the extra allowance.
    const extra = FIXTURE_TOLERANCE.absoluteOfMax * (largest - ownLargest);
    expectClose(got[name]!, want[name]!, { label: `${label} gradient ${name}`, tolerance: FIXTURE_TOLERANCE, ...(extra > 0 ? { extraAbsolute: () => extra } : {}) });
  }
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
    const allowances = looseAllowances(single, index + 1);
    expect(Object.keys(mine.parameters).sort()).toEqual(Object.keys(want.parameters).sort());
    for (const [name, values] of Object.entries(want.parameters)) {
      const extraAbsolute = allowances.get(name);
      expectClose(mine.parameters[name]!, values, {
        label: `${step} parameter ${name}`,
        tolerance: FIXTURE_TOLERANCE,
        ...(extraAbsolute === undefined ? {} : { extraAbsolute }),
      });
    }
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
