// @file Columns of metrics.jsonl by step, under either spelling the apps log (apps/plain `gradNorm`, the Trainer `grad_norm`).
import type { MetricsRow } from './read-run-folder';

/** A metric and the names it is logged under, first match wins. */
export interface MetricName {
  label: string;
  names: readonly string[];
}

/** The metrics the report knows, by every name the apps and the Trainer log them under. */
export const REPORT_METRICS = {
  loss: { label: 'loss', names: ['loss'] },
  crossEntropy: { label: 'cross-entropy', names: ['crossEntropy', 'cross_entropy'] },
  regLoss: { label: 'me-max / prior term', names: ['regLoss', 'reg_loss'] },
  gradNorm: { label: 'gradient norm', names: ['gradNorm', 'grad_norm'] },
  learningRate: { label: 'learning rate', names: ['learningRate', 'lr', 'learning_rate'] },
  weightDecay: { label: 'weight decay', names: ['weightDecay', 'weight_decay'] },
  momentum: { label: 'EMA momentum', names: ['momentum'] },
  sharpenTemperature: { label: 'sharpening temperature', names: ['sharpenTemperature', 'sharpen_temperature'] },
  milliseconds: { label: 'ms/step', names: ['milliseconds', 'milliseconds_per_step'] },
  imagesPerSecond: { label: 'images/s', names: ['images_per_second', 'imagesPerSecond'] },
  knnAccuracy: { label: 'k-NN accuracy (validation)', names: ['knn_accuracy', 'knnAccuracy', 'val_accuracy'] },
} as const satisfies Record<string, MetricName>;

/** Columns aligned on the steps where at least one of them has a value. */
export interface AlignedColumns {
  x: number[];
  /** One column per requested metric, in request order; undefined when no row has the metric. */
  columns: ((number | null)[] | undefined)[];
}

/** The name under which `metric` appears in `rows`, if any. */
export function loggedName(rows: readonly MetricsRow[], metric: MetricName): string | undefined {
  return metric.names.find((name) => rows.some((row) => row[name] !== undefined));
}

/**
 * Aligns `metrics` on a shared step axis. A step logged twice (a training row and a validation row of the same step)
 * contributes each metric's last value.
 *
 * @example alignByStep(rows, [REPORT_METRICS.loss, REPORT_METRICS.crossEntropy]).columns[0] // losses by step
 */
export function alignByStep(rows: readonly MetricsRow[], metrics: readonly MetricName[]): AlignedColumns {
  const names = metrics.map((metric) => loggedName(rows, metric));
  const byStep = new Map<number, (number | null)[]>();
  for (const row of rows) {
    names.forEach((name, index) => {
      if (name === undefined || row[name] === undefined) return;
      let values = byStep.get(row.step);
      if (values === undefined) {
        values = names.map(() => null);
        byStep.set(row.step, values);
      }
      values[index] = row[name]!;
    });
  }
  const x = [...byStep.keys()].sort((left, right) => left - right);
  return { x, columns: names.map((name, index) => (name === undefined ? undefined : x.map((step) => byStep.get(step)![index]!))) };
}
