import { DataLoader, IdxDataset, MSNTransform } from '@msn/data';
const ds = IdxDataset.fromFolder('/usr/share/datasets/fashion-mnist', { split: 't10k', channels: 1 });
const transform = new MSNTransform({ randomSize: 224, focalSize: 96 });
for (const workers of [0, 1, 2, 0, 1, 2]) {
  const loader = new DataLoader(ds, { batchSize: 16, transform, workers });
  let n = 0; let t0 = 0;
  for await (const b of loader.rawBatches()) { if (!t0) { t0 = performance.now(); continue; } n += b.indices.length; if (performance.now() - t0 > 4000) break; }
  console.log(workers, (n / ((performance.now() - t0) / 1000)).toFixed(0), 'img/s');
}
