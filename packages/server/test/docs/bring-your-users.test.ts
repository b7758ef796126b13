import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GuideShell, guideSections } from '../support/guide-shell.js';
import { freePort } from '../support/ports.js';
import { PATIENCE_MS, until } from '../support/wait.js';

const DOCS = resolve(import.meta.dirname, '../../../../docs');
const GUIDE = readFileSync(join(DOCS, 'bring-your-users.md'), 'utf8');
const sections = guideSections(GUIDE);
const blocksOf = (title: string) => sections.find((s) => s.title.startsWith(title))!.blocks;

/**
 * Runs docs/bring-your-users.md as written: a fresh `npm start` (development mode) in a directory holding
 * the guide's sample files at docs/examples/, then its `sh` blocks in order in one bash session, where
 * `http://localhost:5000` is this test's server. The lazy-migration example is run by
 * test/http/lazy-migration.test.ts; here the guide is held to quoting it exactly.
 */
describe('docs/bring-your-users.md, run as written', () => {
  let dir: string;
  let shell: GuideShell;
  let base: string;

  const login = (username: string, password: string) =>
    fetch(`${base}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tessera-guide-'));
    cpSync(join(DOCS, 'examples'), join(dir, 'docs', 'examples'), { recursive: true });
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    shell = new GuideShell(dir, { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? dir, PORT: String(port), HOST: '127.0.0.1', AUTH_RATE_LIMIT: '0' });
    const start = await shell.run('npm start');
    expect(start.ok, start.stderr).toBe(true);
  });
  afterAll(async () => {
    await shell.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const run = async (block: string) => {
    const result = await shell.run(block.replaceAll('http://localhost:5000', base));
    return result;
  };

  // One guide, run in order: a minute is generous for its seven commands and twenty logins.
  it('imports the sample files: a dry run, then JSON lines and CSV, whose users log in with their old passwords', { timeout: 120_000 }, async () => {
    const [dryRun, importBoth, curlLogin, again, adminApi] = blocksOf('Import users');
    const dry = await run(dryRun!);
    expect(dry.ok, dry.stderr).toBe(true);
    expect(GUIDE).toContain('```text\n' + dry.stdout + '```');
    expect((await login('bea', 'correct horse battery')).status).toBe(401);

    const imported = await run(importBoth!);
    expect(imported.ok, imported.stderr).toBe(true);
    expect(imported.stdout).toContain('imported docs/examples/users.jsonl: 4 new, 0 updated, 0 unchanged, 0 rejected');
    expect(imported.stdout).toContain('imported docs/examples/users.csv: 2 new, 0 updated, 0 unchanged, 0 rejected');
    // The CSV's users log in now; the JSON lines' after the re-import, which the guide runs with only bea moved.
    for (const username of ['wes', 'pat']) expect((await login(username, 'correct horse battery')).status, username).toBe(200);

    const loggedIn = await run(curlLogin!);
    expect(loggedIn).toMatchObject({ ok: true, stdout: 'Bearer\n' });

    const rerun = await run(again!);
    expect(rerun.ok, rerun.stderr).toBe(true);
    expect(GUIDE).toContain('```text\n' + rerun.stdout + '```');
    for (const username of ['dan', 'sol', 'ari']) expect((await login(username, 'correct horse battery')).status, username).toBe(200);

    const api = await run(adminApi!);
    expect(api.ok, api.stderr).toBe(true);
    expect(GUIDE).toContain('```json\n' + api.stdout + '```');
    expect((await login('kim', 'rasmuslerdorf')).status).toBe(200);
  });

  it('lets a service the operator allowed hand over an imported user, as the hand-off section shows', async () => {
    const [handOff] = blocksOf('Hand signed-in users over');
    const result = await run(handOff!);
    expect(result.ok, result.stderr).toBe(true);
    expect(GUIDE).toContain('```text\n' + result.stdout + '```');
  });

  it('counts the users who moved over, as the guide shows', async () => {
    const [moved] = blocksOf('See who has moved');
    // The server writes its audit trail in batches (every second): the hand-off just made may not be there yet.
    let result = await run(moved!);
    await until(async () => (result = await run(moved!)).ok && /1 handed off/.test(result.stdout), PATIENCE_MS, 'the hand-off in the audit trail');
    expect(result.ok, result.stderr).toBe(true);
    // The guide's reader logged in only bea; this test also logged in the other imported users.
    expect(result.stdout).toMatch(/^moved over in the last 30 days: (\d+) users \(1 handed off by your app, 0 lazily migrated, \1 re-hashed at login\)\n$/);
    expect(GUIDE).toContain('```text\nmoved over in the last 30 days: 1 user (1 handed off by your app, 0 lazily migrated, 1 re-hashed at login)\n```');
  });

  it('quotes the Express example exactly as the file the tests run', () => {
    const example = readFileSync(join(DOCS, 'examples', 'tessera-password-check.mjs'), 'utf8');
    expect(GUIDE).toContain('```js\n' + example + '```');
  });
});
