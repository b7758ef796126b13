import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../../../..');

describe('npx tessera in the checkout', () => {
  it('runs the package’s own bin and lists every command', async () => {
    const { stdout } = await promisify(execFile)('npx', ['--no-install', 'tessera', '--help'], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? ROOT } });
    expect(stdout).toMatch(/^Usage: tessera \[options\] \[command\]/);
    for (const command of ['serve', 'migrate', 'users', 'tokens', 'keys', 'audit']) expect(stdout).toMatch(new RegExp(`^  ${command}\\b`, 'm'));
  });
});
