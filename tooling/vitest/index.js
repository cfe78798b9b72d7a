// Shared vitest preset: node environment, co-located *.test.ts, generous timeouts for numerics.
/** @param {import('vitest/config').ViteUserConfig['test']} overrides */
export const packageTests = (overrides = {}) => ({
  test: {
    environment: 'node',
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    ...overrides,
  },
});
