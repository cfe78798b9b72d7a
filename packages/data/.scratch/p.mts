import { IdxDataset, MSNTransform } from '../src/index';
const ds = IdxDataset.fromFolder('/usr/share/datasets/fashion-mnist', { split: 't10k' });
const t = new MSNTransform();
const outs = t.viewSizes.map((s) => new Float32Array(3 * s * s));
let n = 0; const start = performance.now();
while (performance.now() - start < 6000) { t.applyInto(ds.getSync(n % 1000).image, { seed: 0, epoch: 0, index: n }, outs, 0); n++; }
console.log(n / 6, 'img/s');
