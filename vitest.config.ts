import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Files run in parallel processes; each test uses its own database file, schema or key prefix.
    pool: 'forks',
    globalSetup: ['test/support/global-setup.ts'],
    coverage: {
      provider: 'v8',
      include: ['src/**/*.ts'],
      exclude: ['src/cli/main.ts'],
      reporter: ['text-summary', 'text', 'json-summary'],
      thresholds: { lines: 95 },
    },
  },
});
