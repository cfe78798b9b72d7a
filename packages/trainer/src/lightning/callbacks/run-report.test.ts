import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { useBackend } from '@msn/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ToyLoader, ToyRegression } from '../__fixtures__/toy-regression';
import { JsonLinesLogger } from '../loggers/json-lines-logger';
import { TensorBoardLogger } from '../loggers/tensorboard-logger';
import { Trainer } from '../trainer';
import { RunReport } from './run-report';
import { ThroughputMonitor } from './throughput-monitor';

const root = mkdtempSync(join(tmpdir(), 'msn-run-report-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('RunReport, ThroughputMonitor and TensorBoardLogger in a fit', () => {
  beforeAll(() => useBackend('cpu'));

  it('rebuilds report.html every n steps and at the end, after beforeWrite; logs ms/step and images/s', async () => {
    const folder = join(root, 'run');
    const writes: number[] = [];
    let clock = 0;
    const module = new ToyRegression(0);
    await new Trainer({
      maxSteps: 5,
      // A clock that advances 40 ms per call: every step takes 40 ms between its start and end hooks.
      callbacks: [
        new ThroughputMonitor(() => (clock += 40)),
        new RunReport({ folder, everyNTrainSteps: 2, beforeWrite: (trainer) => void writes.push(trainer.globalStep) }),
      ],
      loggers: [new JsonLinesLogger(join(folder, 'metrics.jsonl')), new TensorBoardLogger(folder)],
      handleSignals: false,
    }).fit(module, new ToyLoader());
    module.dispose();
    expect(writes).toEqual([2, 4, 5]);
    const html = readFileSync(join(folder, 'report.html'), 'utf8');
    const data = JSON.parse(html.match(/id="report-data">(.*?)<\/script>/s)![1]!) as { charts: { id: string; x: number[]; series: { values: number[] }[] }[] };
    const charts = new Map(data.charts.map((chart) => [chart.id, chart]));
    expect(charts.get('loss')!.x).toEqual([1, 2, 3, 4, 5]);
    // The toy's batches hold 8 images: 8 / 40 ms = 200 images/s.
    expect(charts.get('images-per-second')!.series[0]!.values).toEqual([200, 200, 200, 200, 200]);
    expect(charts.get('milliseconds-per-step')!.series[0]!.values).toEqual([40, 40, 40, 40, 40]);
    expect(readdirSync(folder).filter((name) => name.startsWith('events.out.tfevents.'))).toHaveLength(1);
  });

  it('a TensorBoardLogger that never logs leaves no event file (a DDP rank other than 0)', () => {
    const folder = join(root, 'silent');
    const logger = new TensorBoardLogger(folder);
    expect(logger.path).toBeUndefined();
    expect(existsSync(folder)).toBe(false);
  });

  it('rejects a missing folder and a bad interval, naming them', () => {
    expect(() => new RunReport({ folder: '' })).toThrow(/RunReport: invalid argument 'folder' = ""; expected a run folder path/);
    expect(() => new RunReport({ folder: 'runs/x', everyNTrainSteps: 0 })).toThrow(
      /RunReport: invalid argument 'everyNTrainSteps' = 0; expected an integer >= 1/,
    );
    expect(() => new RunReport({ folder: 'runs/x', every: 2 } as never)).toThrow(/invalid argument 'every'/);
  });
});
