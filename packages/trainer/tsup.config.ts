import { library } from '@msn/tsup-config';
import { defineConfig } from 'tsup';

export default defineConfig(
  library({
    // The distributed process group starts dist/comm-worker.{js,cjs} as a worker thread, found next to the
    // bundle at run time; dist/msn-run.js is the launcher's bin, dist/msn-report.js the report's. Only the index has
    // public types.
    entry: { index: 'src/index.ts', 'comm-worker': 'src/distributed/comm-worker.ts', 'msn-run': 'bin/msn-run.ts', 'msn-report': 'bin/msn-report.ts' },
    dts: { entry: { index: 'src/index.ts' } },
    // import.meta.url in the CommonJS build (worker-location.ts): tsup derives it from __filename.
    shims: true,
  }),
);
