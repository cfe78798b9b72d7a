import { library } from '@msn/tsup-config';
import { defineConfig } from 'tsup';

export default defineConfig(
  library({
    // dist/msn-report.js is the report's bin. Only the index has public types.
    entry: { index: 'src/index.ts', 'msn-report': 'bin/msn-report.ts' },
    dts: { entry: { index: 'src/index.ts' } },
    // import.meta.url in the CommonJS build: tsup derives it from __filename.
    shims: true,
  }),
);
