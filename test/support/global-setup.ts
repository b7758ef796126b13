import { execFileSync } from 'node:child_process';

/** The CLI tests run the built `tessera` binary, so the build must be current. */
export default function setup(): void {
  execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
}
