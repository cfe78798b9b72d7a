// @file Training health for a hand-written loop: log each step's health metrics and warn once a collapse shows.
import { assertInteger } from '@msn/errors';
import { CollapseDetector, type CollapseThresholds, type CollapseWarning } from './collapse-detector';
import { healthMetrics, type HealthMetrics } from './health-metrics';
import type { StepHealth } from './health-statistics';
import { PrototypeUsage } from './prototype-usage';

/** Options of {@link TrainingHealth}. */
export interface TrainingHealthOptions {
  /** K, the number of prototypes. */
  numPrototypes: number;
  /** Steps over which `prototypes_used` counts wins. @default 50 */
  usageWindow?: number;
  /** The detector's thresholds and window. @default DEFAULT_COLLAPSE_THRESHOLDS */
  thresholds?: Partial<CollapseThresholds>;
  /** Called once per warning. @default writes `warning: <message>` to stderr */
  onWarning?: (warning: CollapseWarning) => void;
}

/** The health metrics of a step plus the number of collapse warnings so far (0 while healthy). */
export type HealthRecord = HealthMetrics & { collapse_warnings: number };

/** What a run's summary records about its health. */
export interface HealthSummary {
  /** True when any collapse was detected. */
  collapsed: boolean;
  /** The kinds still showing over the last window (empty when the run escaped, or never collapsed). */
  collapsedAtEnd: readonly string[];
  warnings: readonly CollapseWarning[];
  /** The last step's metrics. */
  last?: HealthRecord;
  /** Each prototype's share of the wins over the last usage window, largest first (`PrototypeUsage.sortedShares`). */
  prototypeShares?: number[];
}

/** Prints a collapse warning the way the apps do: one stderr line starting `warning: collapse:`. */
export function printCollapseWarning(warning: CollapseWarning): void {
  process.stderr.write(`\nwarning: ${warning.message}\n`);
}

/**
 * The health monitor of a hand-written MSN loop: feed it each `msnTrainingStep` result's `health`, log the metrics
 * it returns, and it warns (stderr, once per kind) when the run collapses. The Trainer's equivalent is the
 * `CollapseMonitor` callback with an `MSNModule`.
 *
 * @example
 * const health = new TrainingHealth({ numPrototypes: model.config.numPrototypes });
 * const result = await msnTrainingStep(model, batch, options);
 * logger.logMetrics({ loss: result.loss, ...health.observe(step + 1, result.health) }, step + 1);
 * writeFileSync('health.json', JSON.stringify(health.summary()));
 */
export class TrainingHealth {
  readonly detector: CollapseDetector;
  private readonly usage: PrototypeUsage;
  private readonly onWarning: (warning: CollapseWarning) => void;
  private last: HealthRecord | undefined;

  constructor(options: TrainingHealthOptions) {
    assertInteger('TrainingHealth', 'numPrototypes', options?.numPrototypes, 1);
    this.usage = new PrototypeUsage(options.numPrototypes, options.usageWindow === undefined ? {} : { window: options.usageWindow });
    this.detector = new CollapseDetector(options.thresholds ?? {});
    this.onWarning = options.onWarning ?? printCollapseWarning;
  }

  /** Records step `step` (1-based: steps taken) and returns its metrics; warns on a newly detected collapse. */
  observe(step: number, health: StepHealth): HealthRecord {
    const metrics = healthMetrics(health, this.usage);
    for (const warning of this.detector.update(step, metrics)) this.onWarning(warning);
    this.last = { ...metrics, collapse_warnings: this.detector.warnings.length };
    return this.last;
  }

  /** The warnings so far and the last metrics (JSON). */
  summary(): HealthSummary {
    const warnings = this.detector.warnings;
    return {
      collapsed: warnings.length > 0,
      collapsedAtEnd: [...this.detector.active],
      warnings,
      ...(this.last === undefined ? {} : { last: this.last, prototypeShares: this.usage.sortedShares() }),
    };
  }
}
