import sharp from 'sharp';
import { ImageFolder } from '@msn/data';
import { tmpdir } from 'node:os';
const f = new ImageFolder(tmpdir() + '/msn-bench-jpegs-256');
console.log('default concurrency', sharp.concurrency());
for (const c of [0, 1, 0, 1]) {
  if (c) sharp.concurrency(c); else sharp.concurrency(0);
  const cpu0 = process.cpuUsage(); const t = performance.now();
  for (let r = 0; r < 4; r++) await Promise.all(Array.from({ length: 128 }, (_, i) => f.get(i)));
  const cpu = process.cpuUsage(cpu0); const n = 512;
  console.log('concurrency', sharp.concurrency(), 'wall', ((performance.now() - t) / n).toFixed(2), 'ms/img', 'cpu', ((cpu.user + cpu.system) / 1000 / n).toFixed(2), 'ms/img');
}
