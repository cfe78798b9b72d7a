// Child process for the kill/interrupt tests: trains ToyRegression, checkpointing every step.
// Usage: tsx train-toy.ts <folder> <maxSteps> <stepDelayMs> [resume]
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { join } from 'node:path';
import { ModelCheckpoint } from '../callbacks/model-checkpoint';
import { JsonLinesLogger } from '../loggers/json-lines-logger';
import { Trainer } from '../trainer';
import { ToyLoader, ToyRegression } from './toy-regression';

const [folder, maxSteps, delay, resume] = process.argv.slice(2);
await tf.setBackend('cpu');
const module = new ToyRegression();
module.stepDelayMilliseconds = Number(delay);
const trainer = new Trainer({
  maxSteps: Number(maxSteps),
  callbacks: [new ModelCheckpoint({ dirpath: join(folder!, 'checkpoints'), everyNTrainSteps: 1, keepLast: 2 })],
  loggers: [new JsonLinesLogger(join(folder!, 'metrics.jsonl'))],
  defaultRootDir: folder!,
});
const result = await trainer.fit(module, new ToyLoader(), { ckptPath: resume === 'resume' ? join(folder!, 'checkpoints', 'last') : undefined });
process.stdout.write(`${JSON.stringify(result)}\n`);
