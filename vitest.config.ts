import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/**
 * Tests that start other processes (the built CLI, shells running the docs, nginx, several instances),
 * need PostgreSQL or Redis, wait for real timeouts, or do thousands of logins or key generations.
 * `npm test` runs them with the rest; `npm run test:quick` leaves them out.
 */
const SLOW = [
  'packages/server/test/cli/key-revocation.test.ts',
  // Starts an SMTP server (smtp-server) in a child process.
  'packages/server/test/cli/legacy-notify.test.ts',
  'packages/server/test/cli/production-safety.test.ts',
  'packages/server/test/http/brute-force.test.ts',
  'packages/server/test/http/revocation-capacity.test.ts',
  'packages/server/test/http/rollout.test.ts',
  'packages/server/test/http/slow-clients.test.ts',
  'packages/server/test/tokens/key-ring.test.ts',
  'packages/server/test/cli/npx.test.ts',
  'packages/server/test/cli/serve.test.ts',
  'packages/server/test/cli/sign-out-everywhere.test.ts',
  'packages/server/test/docs/**/*.test.ts',
  'packages/server/test/fleet/**/*.test.ts',
  'packages/server/test/http/seed-client-snippets.test.ts',
  'packages/server/test/store/postgres-store.test.ts',
  'packages/server/test/store/postgres/**/*.test.ts',
  'packages/server/test/store/open-store.test.ts',
  'packages/server/test/pages/**/*.test.ts',
  'packages/server/test/store/upgrade.test.ts',
  'packages/client/test/browser/**/*.test.ts',
  'packages/client/test/docs/**/*.test.ts',
  'packages/client/test/python/**/*.test.ts',
];

/** Packages import each other by name; tests run their TypeScript sources, never a stale build. */
const alias = {
  '@tessera/verify/express': fileURLToPath(new URL('packages/verify/src/express.ts', import.meta.url)),
  '@tessera/verify/fastify': fileURLToPath(new URL('packages/verify/src/fastify.ts', import.meta.url)),
  '@tessera/contract': fileURLToPath(new URL('packages/contract/src/index.ts', import.meta.url)),
  '@tessera/verify': fileURLToPath(new URL('packages/verify/src/index.ts', import.meta.url)),
  '@tessera/client': fileURLToPath(new URL('packages/client/src/index.ts', import.meta.url)),
};

export default defineConfig({
  resolve: { alias },
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
      // bench/test: the benchmark harness's own logic (its reports, how it reads CPU), never a measurement of Tessera.
      { extends: true, test: { name: 'quick', include: ['packages/*/test/**/*.test.ts', 'bench/test/**/*.test.ts'], exclude: SLOW } },
      {
        extends: true,
        // The slow tests run the built `tessera` binary, so the build is brought up to date first. They start
        // processes and wait on what those do, which on a loaded 2-core machine can take minutes: their limits
        // are against hanging, not a measure of speed (test/support/wait.ts, PATIENCE_MS).
        test: {
          name: 'slow',
          include: SLOW,
          testTimeout: 300_000,
          hookTimeout: 300_000,
          globalSetup: ['packages/server/test/support/global-setup.ts'],
        },
      },
    ],
    coverage: {
      provider: 'v8',
      include: ['packages/*/src/**/*.ts'],
      // browser-tabs.ts needs Web Locks, which Node lacks, and packages/web is the pages' browser code: both
      // run (and are tested) in Chromium only, where Node's coverage cannot see them.
      exclude: ['packages/server/src/cli/main.ts', 'packages/client/src/browser-tabs.ts', 'packages/web/src/**'],
      reporter: ['text-summary', 'text', 'json-summary'],
      thresholds: { lines: 95 },
    },
  },
});
