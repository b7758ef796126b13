import { defineConfig } from 'vitest/config';

/**
 * Tests that start other processes (the built CLI, shells running the docs, nginx, several instances),
 * need PostgreSQL or Redis, wait for real timeouts, or do thousands of logins or key generations.
 * `npm test` runs them with the rest; `npm run test:quick` leaves them out.
 */
const SLOW = [
  'test/cli/key-revocation.test.ts',
  'test/cli/production-safety.test.ts',
  'test/http/brute-force.test.ts',
  'test/http/revocation-capacity.test.ts',
  'test/http/rollout.test.ts',
  'test/http/slow-clients.test.ts',
  'test/tokens/key-ring.test.ts',
  'test/cli/npx.test.ts',
  'test/cli/serve.test.ts',
  'test/cli/sign-out-everywhere.test.ts',
  'test/docs/**/*.test.ts',
  'test/fleet/**/*.test.ts',
  'test/http/seed-client-snippets.test.ts',
  'test/store/postgres-store.test.ts',
  'test/store/postgres/**/*.test.ts',
  'test/store/open-store.test.ts',
];

export default defineConfig({
  test: {
    environment: 'node',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Files run in parallel processes; each test uses its own database file, schema or key prefix.
    pool: 'forks',
    // Vitest's default is one worker fewer than the cores: one worker on a 2-core machine. Most tests here
    // wait on sockets, child processes and databases rather than compute, so two keep both cores busy
    // (three were faster still, but starved the tests that start servers of their own).
    maxWorkers: 2,
    // A worker keeps the modules it loaded for its next file instead of loading them all again (which
    // took a third of the suite's CPU time); nothing in src/ or test/ keeps state at module level.
    isolate: false,
    projects: [
      { extends: true, test: { name: 'quick', include: ['test/**/*.test.ts'], exclude: SLOW } },
      {
        extends: true,
        // The slow tests run the built `tessera` binary, so the build is brought up to date first.
        test: { name: 'slow', include: SLOW, globalSetup: ['test/support/global-setup.ts'] },
      },
    ],
    coverage: {
      provider: 'v8',
      include: ['src/**/*.ts'],
      exclude: ['src/cli/main.ts'],
      reporter: ['text-summary', 'text', 'json-summary'],
      thresholds: { lines: 95 },
    },
  },
});
