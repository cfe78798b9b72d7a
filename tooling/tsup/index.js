// The one tsup preset every package uses: ESM + CJS + .d.ts, dependencies kept external.
/** @param {import('tsup').Options} overrides */
export const library = (overrides = {}) => ({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
  platform: 'node',
  tsconfig: 'tsconfig.build.json',
  ...overrides,
});
