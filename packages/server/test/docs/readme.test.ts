import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SETTING_NAMES, SETTINGS } from '../../src/config.js';
import { withSettingsTable } from '../../src/config/settings-table.js';
import { GuideShell, guideSections } from '../support/guide-shell.js';
import { freePort } from '../support/ports.js';

const ROOT = resolve(import.meta.dirname, '../../../..');
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
const section = (title: string) => guideSections(README).find((s) => s.title === title);

/** The rows of the first Markdown table under `## title`: a blank line ends a table, as it does when rendered. */
function firstTableRows(title: string): string[] {
  const body = README.slice(README.indexOf(`\n## ${title}\n`) + 1);
  const lines = body.split('\n');
  const start = lines.findIndex((line) => line.startsWith('|'));
  const end = lines.findIndex((line, i) => i > start && !line.startsWith('|'));
  return lines.slice(start + 2, end);
}

describe("README's configuration table", () => {
  it('lists every setting Tessera reads exactly once, in one unbroken table', () => {
    const listed = firstTableRows('Configuration').map((row) => /^\| `([A-Z0-9_]+)` \|/.exec(row)?.[1] ?? row);
    expect([...listed].sort()).toEqual([...SETTING_NAMES].sort());
  });

  it('is the table the settings declare, word for word (`npm run docs:config` rewrites it)', () => {
    expect(withSettingsTable(README, SETTINGS)).toBe(README);
  });

  it('is rewritten from the declarations by `npm run docs:config`', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-docs-config-'));
    try {
      const copy = join(dir, 'README.md');
      writeFileSync(copy, README.replace(/^\| `PORT` \|.*\n/m, '').replace('| `HOST` | `::` |', '| `HOST` | `0.0.0.0` |'));
      execFileSync('npm', ['run', '--silent', 'docs:config', '--', copy], { cwd: ROOT, stdio: 'pipe' });
      expect(readFileSync(copy, 'utf8')).toBe(README);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/**
 * The quick start, run as a new user would: a fresh `npm start` (development mode, a new ./data
 * directory), then the block as written in one bash session. The only difference from a bare
 * `npm start`: a free port instead of 5000.
 */
describe("README's quick start, run as written", () => {
  let dir: string;
  let shell: GuideShell;
  let port: number;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tessera-readme-'));
    port = await freePort();
    shell = new GuideShell(dir, { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? dir, PORT: String(port), HOST: '127.0.0.1' });
    const start = await shell.run('npm start');
    expect(start, shell.log()).toMatchObject({ ok: true });
  });
  afterAll(async () => {
    await shell?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('logs in, captures the tokens, calls the API, refreshes and logs out', async () => {
    const blocks = section('Quick start')?.blocks ?? [];
    expect(blocks).toHaveLength(1);
    const result = await shell.run(blocks[0]!.replaceAll('localhost:5000', `127.0.0.1:${port}`));
    expect(result.ok, result.stderr).toBe(true);

    // Login printed the pair, the users call listed the demo users, the bad token got the JSON 401.
    expect(result.stdout).toMatch(/\{"access_token":"eyJ[^"]+","token_type":"Bearer","expires_in":900,"refresh_token":"eyJ[^"]+"\}/);
    expect(result.stdout).toMatch(/"username":"test"/);
    expect(result.stdout).toMatch(/HTTP\/1\.1 401[\s\S]*\{"error":"invalid_token","error_description":"The access token is malformed"\}/);
    expect(result.stdout).toMatch(/\{"status":"logged_out"\}$/);

    // The tokens the block kept are the refreshed pair, and logout ended them.
    const access = await shell.variable('ACCESS_TOKEN');
    const refreshToken = await shell.variable('REFRESH_TOKEN');
    expect(decodeJwt(access).role).toBe('user');
    const users = await fetch(`http://127.0.0.1:${port}/api/users`, { headers: { authorization: `Bearer ${access}` } });
    expect(users.status).toBe(401);
    const refreshed = await fetch(`http://127.0.0.1:${port}/auth/refresh`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ refresh_token: refreshToken }),
    });
    expect(refreshed.status).toBe(401);
  });

  it("the Client SDK example logs in, calls the API and logs out, against the quick start's server", async () => {
    const [example] = [...README.slice(README.indexOf('\n## Client SDK\n')).matchAll(/^```js\n([\s\S]*?)^```$/gm)].map((m) => m[1]!);
    const scratch = mkdtempSync(join(ROOT, '.readme-sdk-')); // inside the checkout: the example imports @tessera/client
    try {
      const file = join(scratch, 'sdk.mjs');
      writeFileSync(file, example!.replaceAll('localhost:5000', `127.0.0.1:${port}`));
      expect(execFileSync(process.execPath, [file], { encoding: 'utf8' })).toBe('200\n');
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  });
});
