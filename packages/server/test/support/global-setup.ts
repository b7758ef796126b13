import { execFileSync } from 'node:child_process';

/** The slow tests run the built `tessera` binary, so the build must be current (`tsc -b` skips it when it is). */
export default function setup(): void {
  execFileSync('npx', ['tsc', '-b', 'tsconfig.build.json'], { stdio: 'inherit' });
}
