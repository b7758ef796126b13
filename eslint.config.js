import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/dist/', 'coverage/', 'node_modules/', 'data/', 'bench/results/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly', crypto: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', fetch: 'readonly', AbortController: 'readonly', AbortSignal: 'readonly', performance: 'readonly', URLSearchParams: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-syntax': ['error', { selector: "MemberExpression[object.name='process'][property.name='env']", message: 'Read configuration through src/config.ts' }],
    },
  },
  { files: ['packages/server/src/config.ts', 'packages/server/src/cli/**', 'packages/*/test/**', 'bench/**', 'vitest.config.ts'], rules: { 'no-restricted-syntax': 'off' } },
  // Dependencies point one way: server → verify → contract. Verify and contract never reach into the server.
  {
    files: ['packages/verify/**', 'packages/contract/**'],
    rules: { 'no-restricted-imports': ['error', { patterns: ['**/server/**', '@tessera/server', '@tessera/server/*'] }] },
  },
  // The client runs in browsers and apps: it knows the wire contract, never the server's insides.
  {
    files: ['packages/client/src/**'],
    rules: { 'no-restricted-imports': ['error', { patterns: ['**/server/**', '**/verify/**', '@tessera/server', '@tessera/server/*', '@tessera/verify'] }] },
  },
  { files: ['packages/contract/**'], rules: { 'no-restricted-imports': ['error', { patterns: ['**/server/**', '**/verify/**', '@tessera/*'] }] } },
  // The pages call the HTTP API like any client: they may use the client SDK and the contract, nothing of the server.
  {
    files: ['packages/web/src/**'],
    rules: { 'no-restricted-imports': ['error', { patterns: ['**/server/**', '**/verify/**', '@tessera/server', '@tessera/server/*', '@tessera/verify', '@tessera/verify/*'] }] },
  },
  // Inside the server, the edges (HTTP, the CLI, the composition) call the features; a feature never calls back up.
  {
    files: ['packages/server/src/**'],
    ignores: ['packages/server/src/{http,cli}/**', 'packages/server/src/{tessera,operations,server,background}.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['**/http/**', '**/cli/**'], message: 'Features are called by the HTTP layer and the CLI, never the other way round' },
            {
              group: ['**/tessera.js', '**/operations.js', '**/server.js', '**/background.js'],
              message: 'Only the edges know the composition; a feature receives what it needs',
            },
          ],
        },
      ],
    },
  },
);
