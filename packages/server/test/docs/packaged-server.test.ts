import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServeProcess } from '../support/process.js';
import { testEnv } from '../support/tessera.js';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../../../..');
const GUIDE = readFileSync(join(ROOT, 'docs/auth-migration-guide.md'), 'utf8');

/**
 * The server as `npm pack` makes it (bin/ and dist/ only, no repository around it) still serves the
 * documents it links to: the build copies them into dist/docs/.
 */
describe('a packaged server', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-packed-'));
  const unpacked = join(dir, 'package');
  let files: string[];
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  beforeAll(async () => {
    const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', dir], { cwd: join(ROOT, 'packages/server') });
    const [packed] = JSON.parse(stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
    files = packed!.files.map((f) => f.path);
    await run('tar', ['-xzf', join(dir, packed!.filename), '-C', dir]);
    // Its declared dependencies, and only those, as an install would provide them (the workspace's copies,
    // @tessera/* included): what it uses without declaring it is missing here.
    const { dependencies } = JSON.parse(readFileSync(join(unpacked, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    for (const name of Object.keys(dependencies)) {
      const link = join(unpacked, 'node_modules', name);
      mkdirSync(dirname(link), { recursive: true });
      symlinkSync(join(ROOT, 'node_modules', name), link, 'dir');
    }
  });

  it('ships the migration guide in its build', () => {
    expect(files).toContain('dist/docs/auth-migration-guide.md');
    expect(files.some((path) => path.startsWith('src/') || path.startsWith('test/'))).toBe(false);
  });

  it('serves GET /docs/auth-migration-guide.md from its own copy, with no checkout around it, and the browser SDK', async () => {
    // Where a server running in a checkout would find the repository's docs/: nothing there.
    expect(existsSync(new URL('../../../../../docs/auth-migration-guide.md', `file://${unpacked}/dist/http/routes/migration-guide.js`))).toBe(false);
    const { env } = testEnv({ LOG_LEVEL: 'info' });
    const server = await startServeProcess(env, join(unpacked, 'bin/tessera.js'));
    try {
      const response = await fetch(`${server.url}/docs/auth-migration-guide.md`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('text/markdown; charset=utf-8');
      expect(await response.text()).toBe(GUIDE);
      expect((await fetch(`${server.url}/sdk/tessera-client.js`)).status).toBe(200);
    } finally {
      server.child.kill('SIGTERM');
      await once(server.child, 'exit');
    }
  });
});
