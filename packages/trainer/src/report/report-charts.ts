// @file Which charts a run's report shows, built from what its folder holds (a chart without data is left out).
import { alignByStep, REPORT_METRICS, type MetricName } from './metric-columns';
import type { JsonObject, RunFolderContents } from './read-run-folder';
import type { ReportChart, ReportMarker, ReportSeries } from './report-chart';
import { smoothSeries } from './smooth-series';

/** The collapse monitor's metrics (health-metrics.ts), all relative to ln K or in [0, 1] except `prototypes_used`. */
const HEALTH_RATIOS: MetricName[] = [
  { label: 'H(anchor) / ln K', names: ['anchor_entropy'] },
  { label: 'H(target) / ln K', names: ['target_entropy'] },
  { label: 'H(mean anchor) / ln K', names: ['anchor_mean_entropy'] },
  { label: 'H(mean target) / ln K', names: ['target_mean_entropy'] },
  { label: 'cross-entropy / ln K', names: ['loss_ratio'] },
  { label: 'feature cosine', names: ['feature_cosine'] },
];
const PROTOTYPES_USED: MetricName = { label: 'prototypes in use', names: ['prototypes_used'] };

/** Lines of the given metrics by step; `smoothed` adds a smoothed line over each (the raw one drawn faint). */
function stepChart(
  contents: RunFolderContents,
  chart: Omit<ReportChart, 'x' | 'series' | 'xLabel'>,
  metrics: readonly MetricName[],
  options: { smoothed?: boolean; scale?: number } = {},
): ReportChart | undefined {
  const { x, columns } = alignByStep(contents.metrics, metrics);
  const series: ReportSeries[] = [];
  columns.forEach((column, index) => {
    if (column === undefined) return;
    const values = options.scale === undefined ? column : column.map((value) => (value === null ? null : value * options.scale!));
    const label = metrics[index]!.label;
    if (options.smoothed) {
      series.push({ label: `${label} (raw)`, values, style: 'raw', colour: index });
      series.push({ label: `${label} (smoothed)`, values: smoothSeries(values), colour: index });
    } else {
      series.push({ label, values, colour: index });
    }
  });
  return series.length === 0 ? undefined : { ...chart, xLabel: 'step', x, series };
}

function warningMarkers(health: JsonObject | undefined): ReportMarker[] {
  const warnings = Array.isArray(health?.warnings) ? (health.warnings as unknown[]) : [];
  return warnings.flatMap((warning) => {
    const { kind, step } = (warning ?? {}) as { kind?: unknown; step?: unknown };
    return typeof step === 'number' ? [{ x: step, label: `collapse: ${String(kind)}` }] : [];
  });
}

function numbers(value: unknown): number[] | undefined {
  return Array.isArray(value) && value.length > 0 && value.every((item) => typeof item === 'number') ? (value as number[]) : undefined;
}

/** Sorted prototype shares at the end beside the prior's target, both largest first (prototypes are unordered). */
function prototypeUsageChart(health: JsonObject | undefined): ReportChart | undefined {
  const shares = numbers(health?.prototypeShares);
  if (shares === undefined) return undefined;
  const prior = (health?.prior ?? {}) as { shares?: unknown; description?: unknown };
  const target = numbers(prior.shares);
  const series: ReportSeries[] = [{ label: 'share of wins (last window)', values: shares, colour: 0 }];
  if (target !== undefined)
    series.push({
      label: `target prior${typeof prior.description === 'string' ? `: ${prior.description}` : ''}`,
      values: shares.map((_, rank) => target[rank] ?? null),
      colour: 1,
    });
  return {
    id: 'prototype-usage',
    title: 'Prototype usage at the end, sorted, beside the target prior',
    description:
      'Each prototype’s share of the target argmaxes over the last window, largest first. MSN aims at the uniform line, PMSN at its power law or custom prior.',
    xLabel: 'prototype rank',
    yLabel: 'share',
    x: shares.map((_, rank) => rank + 1),
    series,
  };
}

interface EvaluationRow {
  name: string;
  result: { knnAccuracy: number; fewShot: { shots: number; mean: number; std: number }[] };
}

function evaluationRows(contents: RunFolderContents): EvaluationRow[] {
  const candidates = [contents.evaluation?.rows, contents.summary?.evaluation];
  for (const candidate of candidates) {
    if (!Array.isArray(candidate)) continue;
    const rows = candidate.filter(
      (row): row is EvaluationRow => typeof row?.name === 'string' && typeof row?.result?.knnAccuracy === 'number' && Array.isArray(row.result.fewShot),
    );
    if (rows.length > 0) return rows;
  }
  return [];
}

/** Trained / untrained / raw pixels over k-NN and the few-shot columns: points with ± std error bars. */
function labelEfficiencyChart(contents: RunFolderContents): ReportChart | undefined {
  const rows = evaluationRows(contents);
  if (rows.length === 0) return undefined;
  const shots = rows[0]!.result.fewShot.map((column) => column.shots);
  const categories = ['k-NN', ...shots.map((count) => `${count}-shot`)];
  // Series side by side within a column: offsets of ±0.1 per row around the column's index.
  const offset = (row: number) => (row - (rows.length - 1) / 2) * 0.12;
  const x = rows.flatMap((_, row) => categories.map((__, column) => column + offset(row))).sort((left, right) => left - right);
  const series = rows.map((row, rowIndex): ReportSeries => {
    const means = new Map<number, number>([[offset(rowIndex), 100 * row.result.knnAccuracy]]);
    const errors = new Map<number, number>([[offset(rowIndex), 0]]);
    shots.forEach((count, column) => {
      const found = row.result.fewShot.find((entry) => entry.shots === count);
      if (found === undefined) return;
      means.set(column + 1 + offset(rowIndex), 100 * found.mean);
      errors.set(column + 1 + offset(rowIndex), 100 * found.std);
    });
    return { label: row.name, style: 'points', values: x.map((at) => means.get(at) ?? null), errors: x.map((at) => errors.get(at) ?? null), colour: rowIndex };
  });
  return {
    id: 'label-efficiency',
    title: 'Label efficiency: trained encoder vs. untrained vs. raw pixels',
    description:
      'Test accuracy of a k-NN classifier and of logistic-regression probes on 1, 2, 5, 10 labels per class (mean ± std over seeds). Training helped where the trained points sit above the untrained ones.',
    xLabel: 'evaluation',
    yLabel: 'accuracy %',
    x,
    categories,
    series,
  };
}

/** images/s from ms/step and the job's batch (config.json: batchSize × worldSize) when the run does not log it. */
function throughputChart(contents: RunFolderContents): ReportChart | undefined {
  const logged = stepChart(
    contents,
    {
      id: 'images-per-second',
      title: 'Throughput',
      description: 'Images per second of the whole job (the first step includes kernel compilation).',
      yLabel: 'images/s',
    },
    [REPORT_METRICS.imagesPerSecond],
  );
  if (logged !== undefined) return logged;
  const batchSize = contents.config?.batchSize;
  if (typeof batchSize !== 'number') return undefined;
  const worldSize = typeof contents.config?.worldSize === 'number' ? contents.config.worldSize : 1;
  const { x, columns } = alignByStep(contents.metrics, [REPORT_METRICS.milliseconds]);
  const milliseconds = columns[0];
  if (milliseconds === undefined) return undefined;
  const values = milliseconds.map((value) => (value === null || value <= 0 ? null : (1000 * batchSize * worldSize) / value));
  return {
    id: 'images-per-second',
    title: 'Throughput',
    description: `Images per second (batch ${batchSize * worldSize} / time per step; the first step includes kernel compilation).`,
    xLabel: 'step',
    yLabel: 'images/s',
    x,
    series: [{ label: 'images/s', values, colour: 0 }],
  };
}

/**
 * The charts of a run report, in page order, each only when the run folder has its data: loss and its parts (with
 * smoothed lines), the schedules, the gradient norm, the collapse monitor's health metrics with its warnings marked,
 * prototype usage beside the prior, validation accuracy, the label-efficiency table and throughput.
 *
 * @example const charts = buildReportCharts(readRunFolder('runs/plain'));
 */
export function buildReportCharts(contents: RunFolderContents): ReportChart[] {
  const markers = warningMarkers(contents.health);
  const charts: (ReportChart | undefined)[] = [
    stepChart(
      contents,
      {
        id: 'loss',
        title: 'Loss and its parts',
        description:
          'The MSN loss = cross-entropy of the anchors against the sharpened targets + λ · the me-max (MSN) or prior-matching (PMSN) term (+ the anchor-entropy term with --entropy-weight); faint: per step, solid: smoothed.',
        yLabel: 'nats',
      },
      [REPORT_METRICS.loss, REPORT_METRICS.crossEntropy, REPORT_METRICS.regLoss],
      { smoothed: true },
    ),
    stepChart(contents, { id: 'learning-rate', title: 'Learning rate', description: 'AdamW learning rate applied at each step.', yLabel: 'learning rate' }, [
      REPORT_METRICS.learningRate,
    ]),
    stepChart(contents, { id: 'weight-decay', title: 'Weight decay', description: 'AdamW weight decay applied at each step.', yLabel: 'weight decay' }, [
      REPORT_METRICS.weightDecay,
    ]),
    stepChart(
      contents,
      { id: 'momentum', title: 'EMA momentum', description: 'Momentum of the target encoder’s exponential moving average.', yLabel: 'momentum' },
      [REPORT_METRICS.momentum],
    ),
    stepChart(
      contents,
      {
        id: 'sharpen-temperature',
        title: 'Sharpening temperature',
        description: 'Temperature the targets are sharpened with before Sinkhorn.',
        yLabel: 'temperature',
      },
      [REPORT_METRICS.sharpenTemperature],
    ),
    stepChart(
      contents,
      {
        id: 'grad-norm',
        title: 'Gradient norm',
        description: 'Global norm of the encoder gradients before clipping; faint: per step, solid: smoothed.',
        yLabel: 'norm',
      },
      [REPORT_METRICS.gradNorm],
      { smoothed: true },
    ),
    withMarkers(
      stepChart(
        contents,
        {
          id: 'health',
          title: 'Collapse monitor: entropies and feature cosine',
          description:
            'Entropies relative to ln K (1 = uniform); near 1 with cross-entropy / ln K near 1: uniform collapse; mean entropy near 0: one prototype wins; feature cosine near 1: feature collapse. Red lines: the detector’s warnings.',
          yLabel: 'ratio',
        },
        HEALTH_RATIOS,
      ),
      markers,
    ),
    withMarkers(
      stepChart(
        contents,
        {
          id: 'prototypes-used',
          title: 'Prototypes in use',
          description: 'Prototypes that won at least one image over the last window of steps. Red lines: the detector’s warnings.',
          yLabel: 'prototypes',
        },
        [PROTOTYPES_USED],
      ),
      markers,
    ),
    prototypeUsageChart(contents.health),
    withRunRange(
      stepChart(
        contents,
        {
          id: 'validation',
          title: 'Validation k-NN accuracy',
          description: 'k-NN accuracy of the target encoder on the held-out split, at each validation.',
          yLabel: 'accuracy %',
        },
        [REPORT_METRICS.knnAccuracy],
        { scale: 100 },
      ),
      contents,
    ),
    labelEfficiencyChart(contents),
    throughputChart(contents),
    stepChart(contents, { id: 'milliseconds-per-step', title: 'Time per step', description: 'Wall time of each optimisation step.', yLabel: 'ms' }, [
      REPORT_METRICS.milliseconds,
    ]),
  ];
  return charts.filter((chart): chart is ReportChart => chart !== undefined);
}

/** Validations are few: show them over the whole run, from step 0 to the last logged step. */
function withRunRange(chart: ReportChart | undefined, contents: RunFolderContents): ReportChart | undefined {
  if (chart === undefined) return undefined;
  const last = contents.metrics.reduce((largest, row) => Math.max(largest, row.step), 0);
  return { ...chart, xRange: [0, Math.max(last, ...chart.x)] };
}

function withMarkers(chart: ReportChart | undefined, markers: ReportMarker[]): ReportChart | undefined {
  return chart === undefined || markers.length === 0 ? chart : { ...chart, markers };
}
