import { execFileSync } from 'node:child_process';

/**
 * The slow tests run the built `tessera` binary and drive the built pages, so both builds must be current
 * (each skips its work when nothing changed).
 */
export default function setup(): void {
  execFileSync('npx', ['tsc', '-b', 'tsconfig.build.json'], { stdio: 'inherit' });
  execFileSync('node', ['packages/web/scripts/build-if-stale.mjs'], { stdio: 'inherit' });
}
