import { describe, expect, it } from 'vitest';
import type { RunFolderContents } from './read-run-folder';
import { countPoints } from './report-chart';
import { buildReportCharts } from './report-charts';

const HEALTH = {
  anchor_entropy: 0.9,
  target_entropy: 0.5,
  anchor_mean_entropy: 0.97,
  target_mean_entropy: 0.98,
  prototypes_used: 4,
  feature_cosine: 0.2,
  loss_ratio: 0.8,
};

/** A Trainer run (snake_case names): 4 steps, a validation row at step 4, a warning at step 3, a prior, an evaluation. */
function trainerRun(): RunFolderContents {
  const metrics = [1, 2, 3, 4].map((step) => ({
    step,
    loss: 5 - step / 4,
    cross_entropy: 4,
    reg_loss: 0.1 * step,
    grad_norm: 2,
    lr: 1e-3 * step,
    weight_decay: 0.04,
    momentum: 0.99,
    sharpen_temperature: 0.25,
    ...HEALTH,
    images_per_second: 100 * step,
  }));
  return {
    folder: '/runs/lightning',
    metrics: [...metrics, { step: 4, knn_accuracy: 0.5 }],
    skippedLines: 0,
    unreadable: [],
    health: {
      warnings: [{ kind: 'feature', step: 3, message: 'collapse: feature at step 3' }],
      prototypeShares: [0.4, 0.3, 0.2, 0.1],
      prior: { description: 'uniform (MSN)', shares: [0.25, 0.25, 0.25, 0.25] },
    },
    evaluation: {
      rows: [
        {
          name: 'trained',
          result: {
            knnAccuracy: 0.8,
            fewShot: [
              { shots: 1, mean: 0.3, std: 0.02 },
              { shots: 5, mean: 0.5, std: 0.01 },
            ],
          },
        },
        {
          name: 'untrained',
          result: {
            knnAccuracy: 0.6,
            fewShot: [
              { shots: 1, mean: 0.2, std: 0.03 },
              { shots: 5, mean: 0.4, std: 0.02 },
            ],
          },
        },
        {
          name: 'raw pixels',
          result: {
            knnAccuracy: 0.7,
            fewShot: [
              { shots: 1, mean: 0.25, std: 0.01 },
              { shots: 5, mean: 0.45, std: 0.01 },
            ],
          },
        },
      ],
    },
  };
}

const byId = (contents: RunFolderContents) => new Map(buildReportCharts(contents).map((chart) => [chart.id, chart]));

describe('buildReportCharts', () => {
  it('draws every metric a Trainer run logs, under its snake_case name, in page order', () => {
    const charts = buildReportCharts(trainerRun());
    expect(charts.map((chart) => chart.id)).toEqual([
      'loss',
      'learning-rate',
      'weight-decay',
      'momentum',
      'sharpen-temperature',
      'grad-norm',
      'health',
      'prototypes-used',
      'prototype-usage',
      'validation',
      'label-efficiency',
      'images-per-second',
    ]);
    const loss = charts[0]!;
    // Raw and smoothed lines of the loss, cross-entropy and regulariser, on the 4 training steps.
    expect(loss.series.map((series) => series.label)).toEqual([
      'loss (raw)',
      'loss (smoothed)',
      'cross-entropy (raw)',
      'cross-entropy (smoothed)',
      'me-max / prior term (raw)',
      'me-max / prior term (smoothed)',
    ]);
    expect(loss.x).toEqual([1, 2, 3, 4]);
    expect(loss.series[0]!.values).toEqual([4.75, 4.5, 4.25, 4]);
    expect(loss.series[1]!.values[0]).toBe(4.75);
    expect(loss.series[1]!.values[3]).toBeGreaterThan(4);
    expect(charts[1]!.series[0]!.values).toEqual([1e-3, 2e-3, 3e-3, 4e-3]);
  });

  it('marks the collapse warnings on the health charts and puts the prior beside the sorted prototype usage', () => {
    const charts = byId(trainerRun());
    expect(charts.get('health')!.series).toHaveLength(6);
    expect(charts.get('health')!.markers).toEqual([{ x: 3, label: 'collapse: feature' }]);
    expect(charts.get('prototypes-used')!.markers).toEqual([{ x: 3, label: 'collapse: feature' }]);
    const usage = charts.get('prototype-usage')!;
    expect(usage.x).toEqual([1, 2, 3, 4]);
    expect(usage.series.map((series) => series.values)).toEqual([
      [0.4, 0.3, 0.2, 0.1],
      [0.25, 0.25, 0.25, 0.25],
    ]);
    expect(usage.series[1]!.label).toBe('target prior: uniform (MSN)');
  });

  it('shows validation accuracy in % at the steps it was logged, and the label-efficiency table with ± std', () => {
    const charts = byId(trainerRun());
    expect(charts.get('validation')!.x).toEqual([4]);
    expect(charts.get('validation')!.xRange).toEqual([0, 4]);
    expect(charts.get('validation')!.series[0]!.values).toEqual([50]);
    const table = charts.get('label-efficiency')!;
    expect(table.categories).toEqual(['k-NN', '1-shot', '5-shot']);
    // 3 rows × 3 columns, each row offset within its column.
    expect(table.x).toHaveLength(9);
    expect(table.series.map(countPoints)).toEqual([3, 3, 3]);
    const trained = table.series[0]!;
    const points = table.x.flatMap((x, index) => (trained.values[index] === null ? [] : [[Math.round(x) + 0, trained.values[index], trained.errors![index]]]));
    expect(points.map(([column, mean, error]) => [column, Number(mean!.toFixed(6)), Number(error!.toFixed(6))])).toEqual([
      [0, 80, 0],
      [1, 30, 2],
      [2, 50, 1],
    ]);
  });

  it("reads apps/plain's camelCase names and derives images/s from ms/step and the job's batch", () => {
    const charts = byId({
      folder: '/runs/plain',
      metrics: [1, 2].map((step) => ({
        step,
        loss: 5,
        crossEntropy: 4.9,
        regLoss: 0.1,
        gradNorm: 3,
        learningRate: 1e-3,
        weightDecay: 0.04,
        momentum: 0.99,
        milliseconds: 250 * step,
      })),
      skippedLines: 0,
      unreadable: [],
      config: { batchSize: 16, worldSize: 2 },
    });
    expect([...charts.keys()]).toEqual(['loss', 'learning-rate', 'weight-decay', 'momentum', 'grad-norm', 'images-per-second', 'milliseconds-per-step']);
    expect(charts.get('images-per-second')!.series[0]!.values).toEqual([128, 64]);
    expect(charts.get('milliseconds-per-step')!.series[0]!.values).toEqual([250, 500]);
  });

  it('leaves out every chart of an empty run folder', () => {
    expect(buildReportCharts({ folder: '/runs/empty', metrics: [], skippedLines: 0, unreadable: [] })).toEqual([]);
  });
});
