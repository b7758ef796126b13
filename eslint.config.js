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
);
