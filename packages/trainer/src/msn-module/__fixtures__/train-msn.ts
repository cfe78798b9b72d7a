// Child process for the MSN kill/resume test: a tiny MSNModule on SyntheticShapes through the real DataLoader,
// checkpointing every step. Usage: tsx train-msn.ts <folder> <maxSteps> <backend> <stepDelayMs> [resume]
import { join } from 'node:path';
import { DataLoader, MSNTransform, SyntheticShapes } from '@msn/data';
import { setupTensorflow } from '../../backend/setup-tensorflow';
import { ModelCheckpoint } from '../../lightning/callbacks/model-checkpoint';
import { JsonLinesLogger } from '../../lightning/loggers/json-lines-logger';
import { Trainer } from '../../lightning/trainer';
import { msnSchedules } from '../../schedules/msn-schedules';
import { MSNModule } from '../msn-module';
import { TINY_MSN_CONFIG } from './tiny-msn-config';

const [folder, maxSteps, backend, delay, resume] = process.argv.slice(2);
await setupTensorflow({ backend: backend!, log: false });
const transform = new MSNTransform({ randomSize: 8, focalSize: 4, randomViews: 2, focalViews: 2, normalize: null });
const loader = new DataLoader(new SyntheticShapes({ length: 24, imageSize: 8, seed: 3 }), { batchSize: 6, shuffle: true, dropLast: true, seed: 5, transform });
const module = new MSNModule({
  config: TINY_MSN_CONFIG,
  seed: 11,
  schedules: msnSchedules({ stepsPerEpoch: loader.length, epochs: 4, warmupEpochs: 1 }),
  prior: 'power_law',
});
const trainer = new Trainer({
  maxSteps: Number(maxSteps),
  callbacks: [
    new ModelCheckpoint({ dirpath: join(folder!, 'checkpoints'), everyNTrainSteps: 1, keepLast: 2 }),
    // Slows the run down so the parent can kill it mid-run.
    { onTrainBatchEnd: () => new Promise<void>((done) => setTimeout(done, Number(delay))) },
  ],
  loggers: [new JsonLinesLogger(join(folder!, 'metrics.jsonl'))],
  defaultRootDir: folder!,
});
const result = await trainer.fit(module, loader, { ckptPath: resume === 'resume' ? join(folder!, 'checkpoints', 'last') : undefined });
module.dispose();
process.stdout.write(`${JSON.stringify(result)}\n`);
