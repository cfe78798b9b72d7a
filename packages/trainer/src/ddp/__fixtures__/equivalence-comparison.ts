// How the DDP equivalence tests compare a data-parallel run with one process: the standard tolerance, plus allowances
// derived for the parameters whose gradient is zero in exact arithmetic (shared by the raw ddp() test and MSNModule's).
import { FIXTURE_TOLERANCE, expectClose } from '@msn/test-utils';
import { expect } from 'vitest';
import { SETUP, type RunReport } from './equivalence-setup';

const BETA1 = 0.9;
const BETA2 = 0.999;

/**
 * Largest |AdamW step| / lr at step t, whatever the gradients: by Cauchy–Schwarz,
 * |m_t| ≤ (1−β₁) √(Σₖ (β₁²/β₂)^k) · √(v_t/(1−β₂)), so |m̂/√v̂| ≤ (1−β₁)/(1−β₁ᵗ) · √((1−β₂ᵗ)/(1−β₂)) · √(Σ_{k<t} (β₁²/β₂)^k)
 * (= 1 at t = 1, ≈ 1.0014 at t = 2, the fixtures' "|Adam step| ≤ ~1.0014·lr").
 */
export function adamStepBound(t: number): number {
  let series = 0;
  for (let k = 0; k < t; k++) series += ((BETA1 * BETA1) / BETA2) ** k;
  return ((1 - BETA1) / (1 - BETA1 ** t)) * Math.sqrt((1 - BETA2 ** t) / (1 - BETA2)) * Math.sqrt(series);
}

/**
 * Extra absolute allowances for the parameters whose gradient is zero in exact arithmetic (the fixtures' looseTensors,
 * derived here for two float32 runs instead of float32 against float64), for runs with {@link SETUP}'s constant
 * learning rate, weight decay and momentum:
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
export function looseAllowances(single: RunReport, steps: number): Map<string, (index: number) => number> {
  const { learningRate, momentum, weightDecay } = SETUP;
  const { hiddenDim, numLayers } = SETUP.config.vit;
  const anchorAfter = [0];
  for (let t = 1; t <= steps; t++) anchorAfter.push(anchorAfter[t - 1]! + 2 * learningRate * adamStepBound(t));
  const targetAfter = [0];
  for (let s = 1; s <= steps; s++) targetAfter.push(momentum * targetAfter[s - 1]! + (1 - momentum) * anchorAfter[s - 1]!);

  const allowances = new Map<string, (index: number) => number>();
  for (const [network, drift] of [
    ['anchor', anchorAfter[steps]!],
    ['target', targetAfter[steps]!],
  ] as const) {
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

/** Every gradient within the fixtures' tolerance (encoder.ln.bias: absolute part from its whole LayerNorm). */
export function compareGradients(got: Record<string, number[]>, want: Record<string, number[]>, label: string): void {
  expect(Object.keys(got).sort()).toEqual(Object.keys(want).sort());
  for (const name of Object.keys(want)) {
    const scale = gradientScale(want, name);
    const largest = scale.reduce((maximum, value) => Math.max(maximum, Math.abs(value)), 0);
    const ownLargest = want[name]!.reduce((maximum, value) => Math.max(maximum, Math.abs(value)), 0);
    // expectClose takes max|want| from the tensor; the difference to the wider scale goes into the extra allowance.
    const extra = FIXTURE_TOLERANCE.absoluteOfMax * (largest - ownLargest);
    expectClose(got[name]!, want[name]!, {
      label: `${label} gradient ${name}`,
      tolerance: FIXTURE_TOLERANCE,
      ...(extra > 0 ? { extraAbsolute: () => extra } : {}),
    });
  }
}

/**
 * Every parameter and buffer after step `stepIndex + 1` within the fixtures' tolerance, plus {@link looseAllowances}
 * for the ones whose gradient is zero in exact arithmetic.
 */
export function compareParameters(single: RunReport, got: Record<string, number[]>, stepIndex: number, label: string): void {
  const want = single.steps[stepIndex]!.parameters;
  const allowances = looseAllowances(single, stepIndex + 1);
  expect(Object.keys(got).sort()).toEqual(Object.keys(want).sort());
  for (const [name, values] of Object.entries(want)) {
    const extraAbsolute = allowances.get(name);
    expectClose(got[name]!, values, {
      label: `${label} parameter ${name}`,
      tolerance: FIXTURE_TOLERANCE,
      ...(extraAbsolute === undefined ? {} : { extraAbsolute }),
    });
  }
}
