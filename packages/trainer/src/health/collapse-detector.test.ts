import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '@msn/errors';
import { CollapseDetector, DEFAULT_COLLAPSE_THRESHOLDS } from './collapse-detector';
import type { HealthMetrics } from './health-metrics';
import { PrototypeUsage } from './prototype-usage';
import { TrainingHealth } from './training-health';

const HEALTHY: HealthMetrics = {
  anchor_entropy: 0.45,
  target_entropy: 0.2,
  anchor_mean_entropy: 0.97,
  target_mean_entropy: 0.99,
  prototypes_used: 30,
  feature_cosine: 0.3,
  loss_ratio: 0.7,
};
const UNIFORM: HealthMetrics = { ...HEALTHY, anchor_entropy: 0.995, target_entropy: 0.99, loss_ratio: 1.0 };
const SINGLE: HealthMetrics = { ...HEALTHY, anchor_mean_entropy: 0.05, prototypes_used: 1 };
const FEATURE: HealthMetrics = { ...HEALTHY, feature_cosine: 0.99 };

function feed(detector: CollapseDetector, steps: number, metrics: (step: number) => HealthMetrics) {
  const raised = [];
  for (let step = 1; step <= steps; step++) raised.push(...detector.update(step, metrics(step)));
  return raised;
}

describe('CollapseDetector', () => {
  it('stays quiet on a healthy run, however long', () => {
    // Noisy but healthy: the entropies wander well inside the thresholds.
    const detector = new CollapseDetector();
    expect(feed(detector, 2000, (step) => ({ ...HEALTHY, anchor_entropy: 0.45 + 0.4 * Math.sin(step), feature_cosine: 0.3 + 0.2 * Math.cos(step) }))).toEqual(
      [],
    );
  });

  it('flags each kind of collapse once, at the first full window after the grace steps, with its evidence', () => {
    for (const [kind, metrics, evidence] of [
      ['uniform', UNIFORM, { anchor_entropy: 0.995, loss_ratio: 1 }],
      ['single-prototype', SINGLE, { anchor_mean_entropy: 0.05, prototypes_used: 1 }],
      ['feature', FEATURE, { feature_cosine: 0.99 }],
    ] as const) {
      const detector = new CollapseDetector();
      const raised = feed(detector, 400, () => metrics);
      expect(raised.map((warning) => [warning.kind, warning.step])).toEqual([[kind, DEFAULT_COLLAPSE_THRESHOLDS.graceSteps]]);
      for (const [name, value] of Object.entries(evidence)) expect(raised[0]!.evidence[name]).toBeCloseTo(value, 6);
      expect(raised[0]!.message).toMatch(new RegExp(`^collapse: ${kind} at step 100: .*; try `));
    }
  });

  it('decides on window means: a collapse that starts late is found one window after it starts', () => {
    const detector = new CollapseDetector({ window: 20 });
    const raised = feed(detector, 600, (step) => (step <= 300 ? HEALTHY : UNIFORM));
    // The window mean crosses 0.95 once 19 of its 20 steps are collapsed (19 · 0.995 + 0.45 = 19.355 ≥ 19).
    expect(raised.map((warning) => [warning.kind, warning.step])).toEqual([['uniform', 319]]);
    expect(detector.active).toEqual(['uniform']);
    // A run that escapes keeps its warning but is no longer active.
    feed(detector, 100, () => HEALTHY);
    expect([detector.warnings.length, detector.active]).toEqual([1, []]);
  });

  it('rejects unknown thresholds and metrics that are missing', () => {
    expect(() => new CollapseDetector({ windw: 5 } as never)).toThrow(InvalidArgumentError);
    expect(() => new CollapseDetector({ window: 0 })).toThrow(/window/);
    const { loss_ratio: _missing, ...partial } = HEALTHY;
    expect(() => new CollapseDetector().update(1, partial)).toThrow(/metrics\.loss_ratio/);
  });
});

describe('PrototypeUsage', () => {
  it('counts the prototypes with a win in the last `window` steps', () => {
    const usage = new PrototypeUsage(4, { window: 2 });
    usage.record(Int32Array.from([3, 0, 0, 0]));
    expect(usage.used).toBe(1);
    usage.record(Int32Array.from([0, 2, 1, 0]));
    expect(usage.used).toBe(3);
    usage.record(Int32Array.from([0, 0, 0, 5])); // the first step leaves the window
    expect(usage.used).toBe(3);
    usage.record(Int32Array.from([0, 0, 0, 1]));
    expect(usage.used).toBe(1);
    expect(usage.sortedShares()).toEqual([1, 0, 0, 0]);
    usage.record(Int32Array.from([2, 0, 1, 0]));
    expect(usage.sortedShares()).toEqual([0.5, 0.25, 0.25, 0]); // window: [0, 0, 0, 1] and [2, 0, 1, 0]
    expect(new PrototypeUsage(2).sortedShares()).toEqual([0, 0]);
    expect(() => usage.record(Int32Array.from([1, 2]))).toThrow(/4 prototypes/);
  });
});

describe('TrainingHealth', () => {
  const step = (wins: number[], entropy: number) => ({
    anchorEntropy: entropy,
    targetEntropy: entropy,
    meanAnchorEntropy: 0.99,
    meanTargetEntropy: 0.99,
    featureCosine: 0.2,
    lossRatio: entropy,
    prototypeWins: Int32Array.from(wins),
  });

  it('logs the metrics with the warning count and calls onWarning once per collapse', () => {
    const warnings: string[] = [];
    const health = new TrainingHealth({ numPrototypes: 3, onWarning: (warning) => warnings.push(warning.message) });
    let last: ReturnType<TrainingHealth['observe']> | undefined;
    for (let index = 1; index <= 150; index++) last = health.observe(index, step([1, 1, 0], 0.999));
    expect(last).toMatchObject({ prototypes_used: 2, anchor_entropy: 0.999, collapse_warnings: 1 });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^collapse: uniform at step 100/);
    const summary = health.summary();
    expect(summary.collapsed).toBe(true);
    expect(summary.collapsedAtEnd).toEqual(['uniform']);
    expect(JSON.parse(JSON.stringify(summary)).warnings[0].kind).toBe('uniform');
  });
});
