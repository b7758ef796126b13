import { execFileSync } from 'node:child_process';

/**
 * The slow tests run the built `tessera` binary and load the browser SDK in Chromium, so the build must
 * be current (`tsc -b` skips it when it is; the SDK bundle takes esbuild a fraction of a second).
 */
export default function setup(): void {
  execFileSync('npx', ['tsc', '-b', 'tsconfig.build.json'], { stdio: 'inherit' });
  execFileSync(process.execPath, ['packages/server/scripts/copy-docs.mjs'], { stdio: 'inherit' });
  execFileSync(process.execPath, ['packages/client/bundle.mjs'], { stdio: 'inherit' });
  execFileSync('node', ['packages/web/scripts/build-if-stale.mjs'], { stdio: 'inherit' });
}
