import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['{apps,packages}/*/test/**/*.test.ts'],
    globalSetup: ['packages/testkit/src/global-setup.ts'],
    // Files run in parallel, each against its own database.
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
