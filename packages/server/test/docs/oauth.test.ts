import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GuideShell, guideSections } from '../support/guide-shell.js';
import { freePort } from '../support/ports.js';

const GUIDE = readFileSync(resolve(import.meta.dirname, '../../../../docs/api/oauth.md'), 'utf8');

/** docs/api/oauth.md's walkthrough in one bash session beside a fresh `npm start`, only the port changed. */
describe('docs/api/oauth.md, run as written', () => {
  let dir: string;
  let shell: GuideShell;
  let port: number;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tessera-oauth-guide-'));
    port = await freePort();
    shell = new GuideShell(dir, { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? dir, PORT: String(port), HOST: '127.0.0.1', PUBLIC_URL: `http://localhost:${port}` });
    const start = await shell.run('npm start');
    expect(start, shell.log()).toMatchObject({ ok: true });
  });
  afterAll(async () => {
    await shell?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('adds a service, gets a token, introspects it, revokes it, and revokes the service', async () => {
    const [block] = guideSections(GUIDE).find((s) => s.title === 'Try it')?.blocks ?? [];
    const result = await shell.run(block!.replaceAll('localhost:5000', `127.0.0.1:${port}`));
    expect(result.ok, result.stderr).toBe(true);
    const lines = result.stdout.trim().split('\n');
    expect(lines).toEqual([
      `http://localhost:${port}/oauth/token`,
      '{"active":true,"role":"service","aud":"https://orders.example.com"}',
      '200',
      '{"active":false}',
      expect.stringMatching(/^revoked service billing \(svc_[\w-]+\): its credentials and tokens are refused from now on$/),
    ]);
  });
});
