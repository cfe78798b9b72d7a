// One rank of the gradient tests (started by mpirun): differentiable all-reduce and synchronised batch statistics.
import { writeFileSync } from 'node:fs';
import { registerGradients, useBackend, type TestBackend } from '@msn/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { allReduceMoments } from '../all-reduce-moments';
import { averageGradients, averageGradientsAsync } from '../average-gradients';
import { broadcastVariables } from '../broadcast-variables';
import { differentiableAllReduce } from '../differentiable-all-reduce';
import { initProcessGroup } from '../init-process-group';
import { FEATURES, batchNormLoss, globalBatch, rankWeights, rowsPerRank } from './batch-statistics';

const options = JSON.parse(process.argv[2]!) as { tensorBackend: TestBackend /** Rank r writes `${output}-${r}.json`. */; output: string };
await registerGradients();
await useBackend(options.tensorBackend);
const group = await initProcessGroup();
const { rank, worldSize } = group;
const rows = rowsPerRank(worldSize);
const offset = rows.slice(0, rank).reduce((total, count) => total + count, 0);
const batch = globalBatch(rows.reduce((total, count) => total + count, 0));
const mine = (values: Float32Array) => tf.tensor2d(values.slice(offset * FEATURES, (offset + rows[rank]!) * FEATURES), [rows[rank]!, FEATURES]);
const x = mine(batch.inputs);
const weights = mine(batch.weights);
const results: Record<string, unknown> = { rank };

// y = Σ_r (Σ_rows x_r); L_r = Σ c_r ⊙ y, so dL_r/dx_r after the all-reduced gradient is Σ_s c_s on every row.
const own = tf.tensor1d(rankWeights(rank));
for (const op of ['sum', 'mean'] as const) {
  const gradient = tf.grad((input: tf.Tensor) => tf.sum(tf.mul(differentiableAllReduce(group, tf.sum(input, 0), op), own)))(x);
  results[`allReduce/${op}`] = Array.from(gradient.dataSync());
  gradient.dispose();
}

// Synchronised BatchNorm: gradients with respect to the inputs and (summed over ranks, as DDP does) the affine parameters.
const gamma = tf.variable(tf.tensor1d([1.5, 0.5, -1, 2]));
const beta = tf.variable(tf.tensor1d([0.1, -0.2, 0.3, 0]));
const { value, grads } = tf.variableGrads(() => batchNormLoss(x, weights, gamma, beta, (input) => allReduceMoments(group, input, [0])), [gamma, beta]);
const inputGradient = tf.grad((input: tf.Tensor) =>
  batchNormLoss(input as tf.Tensor2D, weights, gamma, beta, (rowsOfInput) => allReduceMoments(group, rowsOfInput, [0])),
)(x);
results.loss = value.dataSync()[0];
results.gamma = Array.from(grads[gamma.name]!.dataSync());
results.beta = Array.from(grads[beta.name]!.dataSync());
results.inputs = Array.from(inputGradient.dataSync());
tf.dispose([value, inputGradient, ...Object.values(grads)]);

// The differentiable helpers leak nothing, forward or backward.
const before = tf.memory().numTensors;
for (let call = 0; call < 3; call++) {
  tf.dispose(tf.grad((input: tf.Tensor) => batchNormLoss(input as tf.Tensor2D, weights, gamma, beta, (r) => allReduceMoments(group, r, [0])))(x));
  tf.dispose(tf.grad((input: tf.Tensor) => tf.sum(differentiableAllReduce(group, tf.sum(input, 0))))(x));
}
results.leaked = tf.memory().numTensors - before;
results.count = allReduceMoments(group, x, [0]).count;

// DDP helpers: start from the last rank's weights; average rank-dependent gradients.
const variables = [
  tf.variable(
    tf.tensor2d([
      [rank, rank + 0.5, -rank],
      [1, 2, 3],
    ]),
  ),
  tf.variable(tf.tensor1d([rank * 10, 7], 'int32')),
  tf.variable(tf.scalar(rank * 2 + 1)),
];
broadcastVariables(group, variables, worldSize - 1);
results.broadcastVariables = variables.map((variable) => Array.from(variable.dataSync()));
const gradients = {
  weight: tf.tensor2d([
    [rank * 2, 3],
    [4, rank],
  ]),
  bias: tf.tensor1d([rank, 1]),
};
const averaged = averageGradients(group, gradients);
const averagedAsync = await averageGradientsAsync(group, { bias: gradients.bias, weight: gradients.weight });
results.averageGradients = [averaged, averagedAsync].map((map) => ({
  weight: Array.from(map.weight!.dataSync()),
  bias: Array.from(map.bias!.dataSync()),
}));
tf.dispose([...variables, ...Object.values(gradients), ...Object.values(averaged), ...Object.values(averagedAsync)]);
group.destroy();
writeFileSync(`${options.output}-${rank}.json`, JSON.stringify(results));
