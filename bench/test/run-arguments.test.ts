import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');
const bench = (...args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', join(root, 'bench', 'run.ts'), ...args], { cwd: root, encoding: 'utf8', timeout: 30_000 });

describe('npm run bench arguments', () => {
  it('--help prints the scenarios and options and runs nothing', () => {
    const run = bench('--help');
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('Usage: npm run bench -- [scenario ...] [options]');
    expect(run.stdout).toMatch(/Scenarios \(default: all but versus\): users, table, overhead, parts, peers, versus/);
    expect(run.stdout).toContain('--only <list>');
    expect(run.stdout).not.toContain('results:');
  });

  it('an unknown option is named with the usage, exit 2 and no stack trace', () => {
    const run = bench('--rounds', '2', '--bogus');
    expect(run.status).toBe(2);
    expect(run.stderr).toContain("Unknown option '--bogus'");
    expect(run.stderr).toContain('Usage: npm run bench');
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });
});
