import { library } from '@msn/tsup-config';
import { defineConfig } from 'tsup';

// worker.ts is a second entry: the DataLoader starts `worker.js` from next to the bundle. `shims` gives the
// CommonJS build an `import.meta.url`, which is how the bundle finds that file.
export default defineConfig(library({ entry: ['src/index.ts', 'src/worker.ts'], shims: true }));
