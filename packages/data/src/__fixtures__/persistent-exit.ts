// Run as a child process by data-loader.test.ts: idle persistent workers must not keep the process alive.
import { DataLoader } from '../data-loader';
import { MSNTransform } from '../msn-transform';
import { SyntheticShapes } from '../synthetic-shapes';

const loader = new DataLoader(new SyntheticShapes({ length: 8, imageSize: 8 }), {
  batchSize: 4,
  workers: 1,
  persistentWorkers: true,
  transform: new MSNTransform({ randomSize: 8, focalSize: 4 }),
});
let count = 0;
for await (const batch of loader.rawBatches()) count += batch.indices.length;
// Deliberately no loader.close(): the process has to end by itself.
console.log(`done ${count} ${loader.activeWorkers}`);
