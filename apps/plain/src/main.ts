// The main job until the trainer exists: MSN and PMSN losses training a tiny model on synthetic clusters.
import * as tf from '@tensorflow/tfjs-core';
import { MSNLoss, PMSNLoss } from '@msn/loss';
import { selectBackend } from './backend';
import { trainDemo, type DemoConfig, type StepLog } from './demo';

const config: DemoConfig = {
  numClusters: 6,
  inputDim: 32,
  embedDim: 16,
  numPrototypes: 24,
  batchSize: 32,
  numViews: 4,
  maskRatio: 0.3,
  steps: 30,
  learningRate: 0.02,
  momentum: 0.9,
  seed: 7,
};

const format = (log: StepLog) =>
  `step ${String(log.step).padStart(3)}  loss ${log.loss.toFixed(4)}  (cross-entropy ${log.crossEntropy.toFixed(4)}, regulariser ${log.regLoss.toFixed(4)})`;

async function main(): Promise<void> {
  const backend = await selectBackend();
  console.log(`example-plain on the ${backend} backend: ${JSON.stringify(config)}`);
  const runs: Array<[string, MSNLoss]> = [
    ['MSNLoss (me-max regulariser)', new MSNLoss()],
    ['PMSNLoss (power-law prior, exponent 0.25)', new PMSNLoss({ powerLawExponent: 0.25 })],
  ];
  for (const [name, criterion] of runs) {
    console.log(`\n${name}`);
    const before = tf.memory().numTensors;
    const logs = trainDemo(criterion, config, (log) => console.log(format(log)));
    const [first, last] = [logs[0]!, logs[logs.length - 1]!];
    console.log(`${name}: loss ${first.loss.toFixed(4)} -> ${last.loss.toFixed(4)}; tensors alive ${before} -> ${tf.memory().numTensors}`);
    if (!logs.every((log) => Number.isFinite(log.loss))) throw new Error(`example-plain: ${name} produced a non-finite loss`);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
