// @file The collapse detector as a Trainer callback, reading the health metrics an MSNModule logs.
import type { Callback } from '../lightning/callback';
import type { Metrics } from '../lightning/lightning-module';
import type { Trainer } from '../lightning/trainer';
import { CollapseDetector, type CollapseThresholds, type CollapseWarning } from './collapse-detector';
import { HEALTH_METRIC_NAMES } from './health-metrics';
import { printCollapseWarning, type HealthSummary } from './training-health';

/** Options of {@link CollapseMonitor}. */
export interface CollapseMonitorOptions {
  thresholds?: Partial<CollapseThresholds>;
  /** @default writes `warning: <message>` to stderr */
  onWarning?: (warning: CollapseWarning) => void;
}

/**
 * Watches the health metrics that `MSNModule` logs each step (`anchor_entropy`, `prototypes_used`, …) with a
 * {@link CollapseDetector}; on a collapse it warns once per kind (stderr) and logs `collapse_warnings` (the count
 * so far) in the step's row. Steps without health metrics (another module) are ignored. Under `ddpStrategy` the
 * metrics are the ranks' mean and the callback runs on rank 0.
 *
 * @example
 * const monitor = new CollapseMonitor();
 * await new Trainer({ callbacks: [monitor] }).fit(module, loader);
 * if (monitor.summary().collapsed) console.error('this run did not learn');
 */
export class CollapseMonitor implements Callback {
  readonly detector: CollapseDetector;
  private readonly onWarning: (warning: CollapseWarning) => void;
  private last: Metrics | undefined;

  constructor(options: CollapseMonitorOptions = {}) {
    this.detector = new CollapseDetector(options.thresholds ?? {});
    this.onWarning = options.onWarning ?? printCollapseWarning;
  }

  onTrainBatchEnd(trainer: Trainer, _module: unknown, output: { loss: number; logs: Metrics }): void {
    if (!HEALTH_METRIC_NAMES.every((name) => typeof output.logs[name] === 'number')) return;
    for (const warning of this.detector.update(trainer.globalStep, output.logs)) this.onWarning(warning);
    const collapseWarnings = this.detector.warnings.length;
    trainer.log({ collapse_warnings: collapseWarnings });
    this.last = { ...Object.fromEntries(HEALTH_METRIC_NAMES.map((name) => [name, output.logs[name]!])), collapse_warnings: collapseWarnings };
  }

  /** The warnings so far and the last step's health (JSON). */
  summary(): HealthSummary {
    const warnings = this.detector.warnings;
    return {
      collapsed: warnings.length > 0,
      collapsedAtEnd: [...this.detector.active],
      warnings,
      ...(this.last === undefined ? {} : { last: this.last as HealthSummary['last'] & object }),
    };
  }
}
