// @file Detects the three ways MSN training collapses, from the logged health metrics, and says what to try.
import { InvalidArgumentError, assertInteger, assertKnownKeys } from '@msn/errors';
import { HEALTH_METRIC_NAMES, type HealthMetrics } from './health-metrics';

/**
 * - `uniform`: every prediction ≈ uniform over the prototypes and the loss ≈ ln K, the fixed point where nothing is
 *   learned (Sinkhorn of near-identical targets is uniform, and uniform targets teach uniform predictions);
 * - `single-prototype`: one (or a handful of) prototype(s) wins every image;
 * - `feature`: the target embeddings of different images point the same way.
 */
export type CollapseKind = 'uniform' | 'single-prototype' | 'feature';

/** One detection: what collapsed, when, the numbers that show it and what to try. */
export interface CollapseWarning {
  kind: CollapseKind;
  /** The step (1-based count of steps taken) at which the window that showed it ended. */
  step: number;
  /** Window means of the metrics that fired (and `prototypes_used` at the window's end). */
  evidence: Record<string, number>;
  /** One line: `collapse: uniform at step 150: …; try …` (printed after `warning: `). */
  message: string;
}

/** Thresholds and window of {@link CollapseDetector}; every value is a documented default. */
export interface CollapseThresholds {
  /** Steps averaged per decision. @default 50 */
  window: number;
  /** Steps before the first decision (early steps of a healthy run can look uniform). @default 100 */
  graceSteps: number;
  /** uniform: window mean of `anchor_entropy` at least this … @default 0.95 */
  uniformEntropy: number;
  /** … and window mean of `loss_ratio` at least this. @default 0.95 */
  uniformLossRatio: number;
  /** single-prototype: window mean of `anchor_mean_entropy` below this (fewer than K^0.2 prototypes in effect) … @default 0.2 */
  singlePrototypeEntropy: number;
  /** … or `prototypes_used` at most this. @default 1 */
  singlePrototypeUsed: number;
  /** feature: window mean of `feature_cosine` at least this. @default 0.95 */
  featureCosine: number;
}

/** The defaults of {@link CollapseThresholds}. */
export const DEFAULT_COLLAPSE_THRESHOLDS: Readonly<CollapseThresholds> = Object.freeze({
  window: 50,
  graceSteps: 100,
  uniformEntropy: 0.95,
  uniformLossRatio: 0.95,
  singlePrototypeEntropy: 0.2,
  singlePrototypeUsed: 1,
  featureCosine: 0.95,
});

const ADVICE: Record<CollapseKind, string> = {
  uniform:
    'try a larger --entropy-weight (MSNLoss entropyWeight; the recipe default is 1, 0 is the reference), a lower --learning-rate or --sharpen-temperature, or fewer --prototypes',
  'single-prototype': 'try more --sinkhorn-iterations (3), a larger --me-max-weight, or a lower --learning-rate; a very peaked custom prior can also cause it',
  feature: 'try a lower --learning-rate, a lower EMA --momentum (a target that keeps up), stronger augmentation, or a larger --entropy-weight',
};

/**
 * Watches the health metrics of each step ({@link HealthMetrics}, as `healthMetrics` or an `MSNModule`'s logs give
 * them) and reports each kind of collapse the first time its window shows it. Decisions start after `graceSteps`
 * steps and then use the mean of the last `window` steps. The thresholds are in {@link DEFAULT_COLLAPSE_THRESHOLDS}.
 *
 * @example
 * const detector = new CollapseDetector();
 * for (const warning of detector.update(step, metrics)) console.error(`warning: ${warning.message}`);
 * @throws {InvalidArgumentError} for unknown or out-of-range thresholds.
 */
export class CollapseDetector {
  readonly thresholds: Readonly<CollapseThresholds>;
  private readonly recent: HealthMetrics[] = [];
  private readonly found: CollapseWarning[] = [];
  private current: CollapseKind[] = [];

  constructor(thresholds: Partial<CollapseThresholds> = {}) {
    const caller = 'CollapseDetector';
    if (typeof thresholds !== 'object' || thresholds === null) {
      throw new InvalidArgumentError({ caller, argument: 'thresholds', value: thresholds, expected: 'an object of thresholds' });
    }
    assertKnownKeys(caller, thresholds, Object.keys(DEFAULT_COLLAPSE_THRESHOLDS));
    const merged = { ...DEFAULT_COLLAPSE_THRESHOLDS, ...thresholds };
    assertInteger(caller, 'window', merged.window, 1);
    assertInteger(caller, 'graceSteps', merged.graceSteps, 0);
    for (const name of ['uniformEntropy', 'uniformLossRatio', 'singlePrototypeEntropy', 'featureCosine'] as const) {
      if (typeof merged[name] !== 'number' || !Number.isFinite(merged[name])) {
        throw new InvalidArgumentError({ caller, argument: name, value: merged[name], expected: 'a finite number' });
      }
    }
    assertInteger(caller, 'singlePrototypeUsed', merged.singlePrototypeUsed, 0);
    this.thresholds = Object.freeze(merged);
  }

  /**
   * The kinds whose condition held at the latest decision: a run can escape a collapse (e.g. the uniform phase of a
   * warm-up) or fall into one later; this says where it stands now.
   */
  get active(): readonly CollapseKind[] {
    return this.current;
  }

  /** Every warning so far, in the order found. */
  get warnings(): readonly CollapseWarning[] {
    return this.found;
  }

  /**
   * Adds step `step`'s metrics and returns the warnings it newly raises (each kind at most once per detector).
   * @throws {InvalidArgumentError} when a health metric is missing or not a number.
   */
  update(step: number, metrics: Readonly<Partial<HealthMetrics>> | Readonly<Record<string, number | undefined>>): CollapseWarning[] {
    const values = metrics as Readonly<Record<string, number | undefined>>;
    for (const name of HEALTH_METRIC_NAMES) {
      if (typeof values[name] !== 'number') {
        throw new InvalidArgumentError({
          caller: 'CollapseDetector.update',
          argument: `metrics.${name}`,
          value: values[name],
          expected: "a number (log the step's health metrics: healthMetrics(result.health, usage))",
        });
      }
    }
    const { window, graceSteps } = this.thresholds;
    this.recent.push(Object.fromEntries(HEALTH_METRIC_NAMES.map((name) => [name, values[name]])) as unknown as HealthMetrics);
    if (this.recent.length > window) this.recent.shift();
    if (step < graceSteps || this.recent.length < window) return [];
    const detected = this.detect(step);
    this.current = detected.map((warning) => warning.kind);
    const fresh = detected.filter((warning) => !this.found.some((known) => known.kind === warning.kind));
    this.found.push(...fresh);
    return fresh;
  }

  private detect(step: number): CollapseWarning[] {
    const t = this.thresholds;
    const mean = (name: keyof HealthMetrics) => this.recent.reduce((sum, row) => sum + row[name], 0) / this.recent.length;
    const from = step - this.recent.length + 1;
    const span = `over steps ${from}–${step}`;
    const warnings: CollapseWarning[] = [];
    const anchorEntropy = mean('anchor_entropy');
    const lossRatio = mean('loss_ratio');
    if (anchorEntropy >= t.uniformEntropy && lossRatio >= t.uniformLossRatio) {
      warnings.push(
        warning(
          'uniform',
          step,
          { anchor_entropy: anchorEntropy, loss_ratio: lossRatio },
          `predictions ≈ uniform: per-image anchor entropy ${anchorEntropy.toFixed(3)}·ln K and loss ${lossRatio.toFixed(3)}·ln K ${span}`,
        ),
      );
    }
    const meanEntropy = mean('anchor_mean_entropy');
    const used = this.recent[this.recent.length - 1]!.prototypes_used;
    if (meanEntropy < t.singlePrototypeEntropy || used <= t.singlePrototypeUsed) {
      warnings.push(
        warning(
          'single-prototype',
          step,
          { anchor_mean_entropy: meanEntropy, prototypes_used: used },
          `the images share a few prototypes: entropy of the mean prediction ${meanEntropy.toFixed(3)}·ln K, ${used} prototype(s) won an image ${span}`,
        ),
      );
    }
    const cosine = mean('feature_cosine');
    if (cosine >= t.featureCosine) {
      warnings.push(
        warning('feature', step, { feature_cosine: cosine }, `the target embeddings of different images coincide: mean cosine ${cosine.toFixed(3)} ${span}`),
      );
    }
    return warnings;
  }
}

function warning(kind: CollapseKind, step: number, evidence: Record<string, number>, what: string): CollapseWarning {
  return { kind, step, evidence, message: `collapse: ${kind} at step ${step}: ${what}; ${ADVICE[kind]}` };
}
