import { boxBlurInPlace as neu } from '../src/box-blur';
import { boxBlurInPlace as tr } from './box-t';
import { ResizeScratch } from '../src/resize';
const s = 224, data = new Float32Array(3 * s * s).map(() => Math.random()); const sc = new ResizeScratch(); const sc2 = new ResizeScratch();
const a = data.slice(), b = data.slice(); neu(a, 0, 3, s, s, 1.5, sc); tr(b, 0, 3, s, s, 1.5, sc2); let md = 0; for (let i = 0; i < a.length; i++) md = Math.max(md, Math.abs(a[i] - b[i])); console.log('maxdiff', md);
function time(f: () => void) { for (let i = 0; i < 30; i++) f(); let best = Infinity; for (let r = 0; r < 15; r++) { const t = performance.now(); for (let k = 0; k < 10; k++) f(); best = Math.min(best, (performance.now() - t) / 10); } return best.toFixed(3); }
for (let round = 0; round < 3; round++) console.log('new', time(() => neu(data, 0, 3, s, s, 1.5, sc)), 'transpose', time(() => tr(data, 0, 3, s, s, 1.5, sc2)));
