import { library } from '@msn/tsup-config';
import { defineConfig } from 'tsup';

// One entry per concept (see package.json `exports`); dist/msn-report.js is the report's bin, without types.
const entries = { index: 'src/index.ts', lightning: 'src/lightning.ts', ddp: 'src/ddp.ts', evaluation: 'src/evaluation.ts', report: 'src/report.ts' };

export default defineConfig(
  library({
    entry: { ...entries, 'msn-report': 'bin/msn-report.ts' },
    dts: { entry: entries },
    // Shared modules become chunks in both formats, so a class is one class across entries (instanceof holds).
    splitting: true,
    // import.meta.url in the CommonJS build: tsup derives it from __filename.
    shims: true,
  }),
);
