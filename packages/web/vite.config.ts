import { defineConfig } from 'vite';

/**
 * Three entries: the account page, the operator console (pages under /ui/ that Tessera serves at
 * /account and /console) and the migration banner, a web component with a stable file name
 * (/ui/migration-banner.js) that a team's own pages load. Everything is bundled: the pages load nothing
 * from a third party, which the strict CSP they are served with also enforces.
 */
export default defineConfig({
  base: '/ui/',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // No inline script or style: the CSP allows only files from this origin.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    rollupOptions: {
      input: {
        account: 'account.html',
        console: 'console.html',
        'migration-banner': 'src/banner/migration-banner.ts',
      },
      output: {
        entryFileNames: (chunk) => (chunk.name === 'migration-banner' ? '[name].js' : 'assets/[name]-[hash].js'),
      },
    },
  },
});
