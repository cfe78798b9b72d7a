import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { FIXTURE_TOLERANCE, expectClose, useBackend } from '@msn/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FEATURES, batchNormLoss, globalBatch, rankWeights, rowsPerRank } from './__fixtures__/batch-statistics';
import { MPI_MISSING, PACKAGE_DIRECTORY, runUnderMpirun } from './__fixtures__/spawn-mpi';

// Gradients through collectives, checked against single-process computation on the combined batch.
const CHILD = join(PACKAGE_DIRECTORY, 'src/distributed/__fixtures__/gradient-child.ts');
const directory = mkdtempSync(join(tmpdir(), 'msn-gradients-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));
beforeAll(() => useBackend('cpu'));

interface Report {
  rank: number;
  'allReduce/sum': number[];
  'allReduce/mean': number[];
  loss: number;
  gamma: number[];
  beta: number[];
  inputs: number[];
  leaked: number;
  count: number;
  broadcastVariables: number[][];
  averageGradients: Array<{ weight: number[]; bias: number[] }>;
}

const configurations = [
  { worldSize: 2, tensorBackend: 'cpu' },
  { worldSize: 2, tensorBackend: 'wasm' },
  { worldSize: 3, tensorBackend: 'cpu' },
  { worldSize: 3, tensorBackend: 'wasm' },
] as const;

describe.skipIf(MPI_MISSING !== undefined).each(configurations)(
  `gradients through collectives under mpirun${MPI_MISSING ? ` (skipped: ${MPI_MISSING})` : ''}: world size $worldSize, tensors on $tensorBackend`,
  ({ worldSize, tensorBackend }) => {
    let reports: Report[] = [];
    const rows = rowsPerRank(worldSize);
    const total = rows.reduce((sum, count) => sum + count, 0);

    beforeAll(async () => {
      const output = join(directory, `${worldSize}-${tensorBackend}`);
      const outcome = await runUnderMpirun(CHILD, worldSize, [JSON.stringify({ tensorBackend, output })]);
      expect(outcome.code, outcome.stderr).toBe(0);
      reports = Array.from({ length: worldSize }, (_, rank) => JSON.parse(readFileSync(`${output}-${rank}.json`, 'utf8')) as Report);
    });

    it('differentiableAllReduce passes the all-reduced upstream gradient (sum, and mean divided by the world size)', () => {
      const summed = new Float32Array(FEATURES);
      for (let rank = 0; rank < worldSize; rank++) rankWeights(rank).forEach((value, feature) => (summed[feature]! += value));
      for (const report of reports) {
        const perRow = (scale: number) => Array.from({ length: rows[report.rank]! }, () => Array.from(summed, (value) => value * scale)).flat();
        expectClose(report['allReduce/sum'], perRow(1), { label: `rank ${report.rank} sum`, tolerance: FIXTURE_TOLERANCE });
        expectClose(report['allReduce/mean'], perRow(1 / worldSize), { label: `rank ${report.rank} mean`, tolerance: FIXTURE_TOLERANCE });
      }
    });

    it('synchronised batch statistics give the losses and gradients of BatchNorm on the combined batch', () => {
      const batch = globalBatch(total);
      const x = tf.tensor2d(batch.inputs, [total, FEATURES]);
      const weights = tf.tensor2d(batch.weights, [total, FEATURES]);
      const gamma = tf.variable(tf.tensor1d([1.5, 0.5, -1, 2]));
      const beta = tf.variable(tf.tensor1d([0.1, -0.2, 0.3, 0]));
      const loss = (input: tf.Tensor2D) => batchNormLoss(input, weights, gamma, beta, (rowsOfInput) => tf.moments(rowsOfInput, [0]));
      const { value, grads } = tf.variableGrads(() => loss(x), [gamma, beta]);
      const inputGradient = tf.grad((input: tf.Tensor) => loss(input as tf.Tensor2D))(x);
      // The combined loss is the sum of the ranks' losses; DDP sums (then averages) parameter gradients.
      const sum = (key: 'gamma' | 'beta') =>
        Array.from({ length: FEATURES }, (_, feature) => reports.reduce((total, report) => total + report[key][feature]!, 0));
      expectClose([reports.reduce((total, report) => total + report.loss, 0)], [value.dataSync()[0]!], { label: 'loss', tolerance: FIXTURE_TOLERANCE });
      expectClose(sum('gamma'), grads[gamma.name]!, { label: 'gamma gradient', tolerance: FIXTURE_TOLERANCE });
      expectClose(sum('beta'), grads[beta.name]!, { label: 'beta gradient', tolerance: FIXTURE_TOLERANCE });
      expectClose(
        reports.flatMap((report) => report.inputs),
        inputGradient,
        { label: 'input gradient', tolerance: FIXTURE_TOLERANCE },
      );
      for (const report of reports) expect(report.count).toBe(total);
      tf.dispose([x, weights, gamma, beta, value, inputGradient, ...Object.values(grads)]);
    });

    it("broadcastVariables gives every rank the root's weights; averageGradients the mean over ranks", () => {
      const root = worldSize - 1;
      const meanRank = (worldSize - 1) / 2;
      for (const report of reports) {
        expect(report.broadcastVariables).toEqual([[root, root + 0.5, -root, 1, 2, 3], [root * 10, 7], [root * 2 + 1]]);
        for (const averaged of report.averageGradients) {
          expectClose(averaged.weight, [meanRank * 2, 3, 4, meanRank], { label: 'weight', tolerance: FIXTURE_TOLERANCE });
          expectClose(averaged.bias, [meanRank, 1], { label: 'bias', tolerance: FIXTURE_TOLERANCE });
        }
      }
    });

    it('leaks no tensors forward or backward', () => {
      for (const report of reports) expect(report.leaked, `rank ${report.rank}`).toBe(0);
    });
  },
);
