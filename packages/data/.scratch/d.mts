import { ImageFolder } from '@msn/data';
import { tmpdir } from 'node:os';
const f = new ImageFolder(tmpdir() + '/msn-bench-jpegs-256');
for (let round = 0; round < 3; round++) {
  let t = performance.now();
  for (let i = 0; i < 128; i++) await f.get(i);
  const seq = performance.now() - t;
  t = performance.now();
  await Promise.all(Array.from({ length: 128 }, (_, i) => f.get(i)));
  console.log('sequential', (seq / 128).toFixed(2), 'ms/img; concurrent', ((performance.now() - t) / 128).toFixed(2), 'ms/img');
}
