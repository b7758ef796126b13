// The browser build served at GET /sdk/tessera-client.js: one minified ES module with its source map,
// so that a page can `import { TesseraClient } from 'https://auth.example.com/sdk/tessera-client.js'`
// without a bundler. Run by `npm run build` (and `npm start`) after tsc.
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

export const BUNDLE = fileURLToPath(new URL('dist/browser/tessera-client.js', import.meta.url));

/** Builds the bundle from the TypeScript sources (esbuild reads them directly: no tsc needed first). */
export async function buildBrowserBundle(outfile = BUNDLE) {
  await build({
    entryPoints: [fileURLToPath(new URL('src/index.ts', import.meta.url))],
    outfile,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['es2022'],
    minify: true,
    sourcemap: 'linked',
    sourcesContent: true,
    legalComments: 'none',
    logLevel: 'warning',
  });
  return outfile;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await buildBrowserBundle();
