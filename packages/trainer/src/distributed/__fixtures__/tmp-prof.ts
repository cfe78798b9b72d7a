import { initProcessGroup } from '../init-process-group';
const group = await initProcessGroup({ backend: process.env.B as 'tcp' });
const values = new Float32Array(16 << 20).fill(1);
group.allReduce(values);
const start = performance.now();
for (let i = 0; i < 5; i++) group.allReduce(values);
console.log(group.rank, group.backend, ((performance.now() - start) / 5).toFixed(1), 'ms');
group.destroy();
