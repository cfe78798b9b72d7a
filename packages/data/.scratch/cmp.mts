import { boxBlurInPlace as neu } from '../src/box-blur';
import { boxBlurInPlace as old } from './box-old';
import { ResizeScratch } from '../src/resize';
const s = 224, data = new Float32Array(3 * s * s).map(() => Math.random()); const sc = new ResizeScratch();
function time(f: () => void) { for (let i = 0; i < 30; i++) f(); let best = Infinity; for (let r = 0; r < 15; r++) { const t = performance.now(); for (let k = 0; k < 10; k++) f(); best = Math.min(best, (performance.now() - t) / 10); } return best.toFixed(3); }
for (let round = 0; round < 3; round++) console.log('old', time(() => old(data, 0, 3, s, s, 1.5, sc)), 'new', time(() => neu(data, 0, 3, s, s, 1.5, sc)));
