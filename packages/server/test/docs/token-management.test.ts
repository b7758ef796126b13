import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GuideShell, guideSections, type BlockResult } from '../support/guide-shell.js';
import { freePort } from '../support/ports.js';
import { PATIENCE_MS } from '../support/wait.js';

const GUIDE = resolve(import.meta.dirname, '../../../../docs/admin/token-management.md');
const sections = guideSections(readFileSync(GUIDE, 'utf8'));

interface Tokens {
  access_token: string;
  refresh_token: string;
}

/** What happens around one block: `before` sets the scene, `after` checks the block had the effect the guide says. */
interface Step {
  before?: () => Promise<void>;
  after: (result: BlockResult) => Promise<void>;
}

/**
 * Runs docs/admin/token-management.md as written: a fresh `npm start` (development mode, a new
 * ./data directory), then every `sh` block in order in one bash session, checking after each that it
 * did what the guide says — from outside, through the API, as a user of the server would notice.
 * The only settings that differ from a bare `npm start`: a free port instead of 5000, and no rate
 * limit, because the checks log in more than 10 times a minute.
 */
describe('docs/admin/token-management.md, run as written', () => {
  let dir: string;
  let shell: GuideShell;
  let base: string;
  let password = 'dana long passphrase';

  const api = (path: string, init: RequestInit = {}) => fetch(`${base}${path}`, init);
  const json = async <T>(path: string, init: RequestInit = {}) => (await api(path, init)).json() as Promise<T>;
  const post = (path: string, body: object, headers: Record<string, string> = {}) =>
    api(path, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

  async function login(username = 'dana', userAgent = 'guide-test', secret = password): Promise<Tokens> {
    const response = await post('/auth/login', { username, password: secret }, { 'user-agent': userAgent });
    expect(response.status, `login as ${username}`).toBe(200);
    return (await response.json()) as Tokens;
  }
  const loginStatus = async (username: string, secret: string) => (await post('/auth/login', { username, password: secret })).status;
  const status = async (token: string) => (await api('/api/users', { headers: { authorization: `Bearer ${token}` } })).status;
  const refresh = (token: string) => post('/auth/refresh', { refresh_token: token });
  const role = (token: string) => decodeJwt(token).role;
  const kid = (token: string) => decodeProtectedHeader(token).kid!;
  const jwksKids = async () => (await json<{ keys: Array<{ kid: string }> }>('/.well-known/jwks.json')).keys.map((k) => k.kid).sort();
  const danaUserId = async () => {
    const admin = await login('admin', 'guide-test', 'admin123');
    const [user] = await json<Array<{ id: string }>>('/admin/users?username=dana', { headers: { authorization: `Bearer ${admin.access_token}` } });
    return user!.id;
  };

  /**
   * Polls until `check` holds: what the command line changes, the running server learns by polling the
   * store (the guide says how often; on a busy machine it takes longer, which is no failure).
   */
  async function eventually(check: () => Promise<boolean>, everyMs = 25): Promise<void> {
    const started = Date.now();
    while (!(await check())) {
      if (Date.now() - started > PATIENCE_MS) throw new Error(`not true within ${PATIENCE_MS} ms`);
      await new Promise((resolveWait) => setTimeout(resolveWait, everyMs));
    }
  }
  const refused = (...tokens: string[]) => eventually(async () => (await Promise.all(tokens.map(status))).every((s) => s === 401));

  /** The tokens of one device the guide logged in, kept by its shell in `name`. */
  const deviceTokens = async (name: string) => JSON.parse(await shell.variable(name)) as Tokens;

  // State carried from one step to the next.
  let a: Tokens;
  let b: Tokens;
  let rotatedKid = '';

  const STEPS: Record<string, Step[]> = {
    'Before you start': [
      {
        after: async () => {
          expect(role(await shell.variable('ADMIN_TOKEN'))).toBe('admin');
          expect(await shell.variable('AUTH')).toMatch(/^Authorization: Bearer eyJ/);
        },
      },
      {
        after: async ({ stdout }) => {
          expect(stdout).toMatch(/^id\s+\S+\nusername\s+dana\nrole\s+user\n/);
        },
      },
    ],
    "See a user's devices": [
      {
        after: async () => {
          [a, b] = [await deviceTokens('LAPTOP'), await deviceTokens('PHONE')];
          expect(await status(a.access_token)).toBe(200);
          expect(await status(b.access_token)).toBe(200);
        },
      },
      {
        after: async ({ stdout }) => {
          expect(await shell.variable('USER_ID')).toBe(await danaUserId());
          const families = JSON.parse(stdout) as Array<{ user_agent: string; ip: string }>;
          expect(families.map((f) => f.user_agent)).toEqual(expect.arrayContaining(['Laptop/1.0', 'Phone/2.0']));
          expect(families[0]!.ip).toBe('127.0.0.1');
        },
      },
      {
        after: async ({ stdout }) => {
          expect(stdout).toMatch(/^FAMILY\s+CREATED_AT\s+LAST_USED_AT\s+IP\s+USER_AGENT\n/);
          expect(stdout).toContain('Laptop/1.0');
          expect(stdout).toContain('Phone/2.0');
        },
      },
    ],
    'Sign a user out everywhere': [
      {
        after: async ({ stdout }) => {
          // The API answers once the tokens are refused: no waiting.
          expect(await status(a.access_token)).toBe(401);
          expect(await status(b.access_token)).toBe(401);
          expect((await refresh(b.refresh_token)).status).toBe(401);
          expect(JSON.parse(stdout)).toEqual({ revoked_families: 2, revoked_access_tokens: 2, ended_sessions: 0 });
        },
      },
      {
        before: async () => {
          a = await login('dana', 'Laptop/1.0');
          b = await login('dana', 'Phone/2.0');
        },
        after: async ({ stdout }) => {
          expect(stdout).toBe('signed dana out everywhere: 2 families, 2 access tokens and 0 sessions ended\n');
          await refused(a.access_token, b.access_token);
          expect((await refresh(a.refresh_token)).status).toBe(401);
        },
      },
    ],
    'Sign out one device': [
      {
        after: async () => {
          [a, b] = [await deviceTokens('LAPTOP'), await deviceTokens('PHONE')];
          expect(await status(a.access_token)).toBe(200);
          expect(await status(b.access_token)).toBe(200);
        },
      },
      {
        after: async ({ stdout }) => {
          expect(JSON.parse(stdout)).toEqual({ revoked_families: 1, revoked_access_tokens: 1, ended_sessions: 0 });
          expect(await status(b.access_token)).toBe(401);
          expect(await status(a.access_token)).toBe(200);
        },
      },
      {
        before: async () => {
          await new Promise((r) => setTimeout(r, 5));
          b = await login('dana', 'Phone/2.0');
        },
        after: async ({ stdout }) => {
          expect(stdout).toMatch(/^revoked family \S+: 1 family, 1 access token and 0 sessions ended\n$/);
          await refused(b.access_token);
          expect(await status(a.access_token)).toBe(200);
        },
      },
    ],
    'Disable an account, and enable it again': [
      {
        after: async ({ stdout }) => {
          expect(JSON.parse(stdout)).toMatchObject({ username: 'dana', disabled_at: expect.stringMatching(/Z$/) });
          expect(await status(a.access_token)).toBe(401);
          expect(await loginStatus('dana', password)).toBe(401);
        },
      },
      {
        after: async ({ stdout }) => {
          expect(JSON.parse(stdout)).toEqual({ username: 'dana', disabled_at: null });
          a = await login();
        },
      },
      {
        after: async ({ stdout }) => {
          expect(stdout).toBe('disabled dana: logins refused; signed out everywhere (1 family, 1 access token and 0 sessions ended)\n');
          await refused(a.access_token);
          expect(await loginStatus('dana', password)).toBe(401);
        },
      },
      {
        after: async ({ stdout }) => {
          expect(stdout).toBe('enabled dana\n');
          expect(await loginStatus('dana', password)).toBe(200);
        },
      },
    ],
    'Reset a password': [
      {
        before: async () => {
          a = await login();
        },
        after: async ({ stdout }) => {
          expect(JSON.parse(stdout)).toEqual({ revoked_families: expect.any(Number), revoked_access_tokens: expect.any(Number), ended_sessions: 0 });
          expect(await status(a.access_token)).toBe(401);
          expect(await loginStatus('dana', password)).toBe(401);
          password = 'correct horse battery staple';
          expect(await loginStatus('dana', password)).toBe(200);
        },
      },
      {
        before: async () => {
          a = await login();
        },
        after: async ({ stdout }) => {
          expect(stdout).toMatch(/^password of dana reset; signed out everywhere \(\d+ famil(y|ies), \d+ access tokens? and 0 sessions ended\)\n$/);
          await refused(a.access_token);
          expect(await loginStatus('dana', password)).toBe(401);
          password = 'another long passphrase';
          expect(await loginStatus('dana', password)).toBe(200);
        },
      },
    ],
    'Change a role': [
      {
        before: async () => {
          a = await login();
        },
        after: async ({ stdout }) => {
          expect(JSON.parse(stdout)).toEqual({ username: 'dana', role: 'admin' });
          expect(await status(a.access_token)).toBe(401);
          const refreshed = (await (await refresh(a.refresh_token)).json()) as Tokens;
          expect(role(refreshed.access_token)).toBe('admin');
          a = refreshed;
        },
      },
      {
        after: async ({ stdout }) => {
          expect(stdout).toBe('dana now has role user\n');
          await refused(a.access_token);
          const refreshed = (await (await refresh(a.refresh_token)).json()) as Tokens;
          expect(role(refreshed.access_token)).toBe('user');
        },
      },
    ],
    'Create a user': [
      {
        after: async ({ stdout }) => {
          expect(JSON.parse(stdout)).toMatchObject({ username: 'alice', role: 'user' });
          expect(await loginStatus('alice', 'alice long passphrase')).toBe(200);
        },
      },
      {
        after: async ({ stdout }) => {
          expect(stdout).toMatch(/^id\s+\S+\nusername\s+bob\nrole\s+admin\n/);
          expect(role((await login('bob', 'guide-test', 'bob long passphrase')).access_token)).toBe('admin');
          expect(await loginStatus('carol', 'carol long passphrase')).toBe(200);
        },
      },
    ],
    'Unlock an account': [
      {
        before: async () => {
          // Earlier sections failed logins of dana on purpose (a reset, a disable): start from none.
          const admin = await login('admin', 'guide-test', 'admin123');
          await api(`/admin/users/${await danaUserId()}/login-throttle`, { method: 'DELETE', headers: { authorization: `Bearer ${admin.access_token}` } });
          for (let i = 0; i < 5; i += 1) expect(await loginStatus('dana', `wrong guess ${i}`)).toBe(401);
        },
        after: async ({ stdout }) => {
          expect(JSON.parse(stdout)).toMatchObject({ username: 'dana', failures: 5, delay_ms: 1000, resets_at: expect.stringMatching(/Z$/) });
        },
      },
      {
        after: async ({ stdout }) => {
          expect(JSON.parse(stdout)).toEqual({ username: 'dana', failures: 5 });
          const admin = await login('admin', 'guide-test', 'admin123');
          const now = await json<{ failures: number; delay_ms: number }>(`/admin/users/${await danaUserId()}/login-throttle`, {
            headers: { authorization: `Bearer ${admin.access_token}` },
          });
          expect(now).toMatchObject({ failures: 0, delay_ms: 0 });
        },
      },
    ],
    'Investigate a reuse alert': [
      {
        before: async () => {
          // A token is copied: the client refreshes, then the copy is presented.
          const stolen = await login('dana', 'Phone/2.0');
          expect((await refresh(stolen.refresh_token)).status).toBe(200);
          expect((await refresh(stolen.refresh_token)).status).toBe(401);
        },
        after: async ({ stdout }) => {
          const id = await danaUserId();
          expect(stdout).toContain(`"user_id": "${id}"`);
          expect(stdout).toMatch(/"family": "[0-9a-f-]{36}"/);
          expect(await shell.variable('REUSE_USER')).toBe(id);
        },
      },
      {
        after: async ({ stdout }) => {
          expect(stdout).toMatch(/token\.reuse_detected\s+dana\s/);
        },
      },
      {
        after: async ({ stdout }) => {
          const types = stdout.trimEnd().split('\n').map((line) => line.split('\t')[1]);
          expect(types.slice(0, 3)).toEqual(['token.reuse_detected', 'token.refresh', 'login.success']);
        },
      },
      {
        after: async ({ stdout }) => {
          expect(stdout).toMatch(/token\.reuse_detected\s+dana\s/);
          expect(stdout).toMatch(/admin\.user\.role_change\s+dana\s+cli\s/);
        },
      },
    ],
    'Read the audit log': [
      {
        before: async () => {
          expect(await loginStatus('dana', 'not the password')).toBe(401);
        },
        after: async ({ stdout }) => {
          const events = JSON.parse(stdout) as Array<{ type: string; detail: { reason: string } }>;
          expect(events.length).toBeGreaterThanOrEqual(3);
          expect(events.every((e) => e.type === 'login.failure')).toBe(true);
          expect(events[0]!.detail.reason).toBe('bad_password');
        },
      },
      {
        after: async ({ stdout }) => {
          expect(stdout).toMatch(/login\.failure\s+dana\s+-\s+127\.0\.0\.1/);
          // Who signed users out: the admin through the API, and the command line.
          expect(stdout).toMatch(/^\S+Z\tdana\tadmin$/m);
          expect(stdout).toMatch(/^\S+Z\tdana\tcli$/m);
        },
      },
    ],
    'Rotate signing keys': [
      {
        before: async () => {
          a = await login();
        },
        after: async ({ stdout }) => {
          const rotated = JSON.parse(stdout.slice(stdout.indexOf('{'))) as { kid: string; previous_kid: string; previous_retires_at: string };
          expect(stdout).toMatch(/\taccess\tactive\t\n/);
          expect(rotated.previous_kid).toBe(kid(a.access_token));
          expect(Date.parse(rotated.previous_retires_at)).toBeGreaterThan(Date.now() + 15 * 60_000);
          expect(await status(a.access_token)).toBe(200);
          expect(kid((await login()).access_token)).toBe(rotated.kid);
          expect(await jwksKids()).toEqual([rotated.kid, kid(a.access_token)].sort());
        },
      },
      {
        before: async () => {
          b = await login();
        },
        after: async ({ stdout }) => {
          rotatedKid = /^new access key (\S+) signs from now on/m.exec(stdout)![1]!;
          expect(stdout).toMatch(new RegExp(`^previous key ${kid(b.access_token)} verifies until \\S+Z, then retires$`, 'm'));
          expect(stdout).toMatch(/^KID\s+USE\s+ALG\s+STATE\s+CREATED_AT\s+RETIRES_AT$/m);
          expect(stdout.match(/\saccess\s+RS256\s+retiring\s/g)).toHaveLength(2);
          // The running server signs with the command line's key after its next key reload (every 5 s).
          await eventually(async () => kid((await login()).access_token) === rotatedKid, 250);
          expect(await status(a.access_token)).toBe(200);
          expect(await status(b.access_token)).toBe(200);
        },
      },
      {
        before: async () => {
          b = await login();
        },
        after: async ({ stdout }) => {
          expect(stdout).toMatch(/"use": "refresh"/);
          expect(stdout).toMatch(/^new refresh key \S+ signs from now on/m);
          expect((await refresh(b.refresh_token)).status).toBe(200);
        },
      },
    ],
    'Rotate JWT_SECRET': [
      {
        before: async () => {
          a = await login();
        },
        after: async () => {
          expect(await shell.variable('OLD_SECRET')).toBe(readFileSync(join(dir, 'data/dev-jwt-secret'), 'utf8').trim());
          expect((await shell.variable('NEW_SECRET')).length).toBe(64);
        },
      },
      {
        after: async () => {
          expect(shell.log()).toMatch(/signing key re-sealed with the new JWT_SECRET/);
          expect(await status(a.access_token)).toBe(200);
          expect(await jwksKids()).toContain(kid(a.access_token));
        },
      },
      {
        after: async ({ stdout }) => {
          expect(stdout).toContain(rotatedKid);
        },
      },
      {
        after: async () => {
          // Started with the new secret alone: a development server would have replaced keys it could
          // not open (and logged everyone out). The same keys, and the same tokens, prove the re-sealing.
          expect(shell.log()).not.toMatch(/replacing it/);
          expect(await status(a.access_token)).toBe(200);
          expect(kid((await login()).access_token)).toBe(rotatedKid);
          const refreshed = await refresh(a.refresh_token);
          expect(refreshed.status).toBe(200);
        },
      },
    ],
    'Watch it': [
      {
        after: async ({ stdout }) => {
          expect(stdout).toMatch(/^tessera_logins_total\{outcome="success"\} \d+$/m);
          expect(stdout).toMatch(/^tessera_refresh_reuse_detected_total \d+$/m);
          expect(stdout).toMatch(/^tessera_active_families \d+$/m);
        },
      },
    ],
    'Change the rollout': [
      {
        before: async () => {
          a = await login('dana', 'guide-test', password);
        },
        after: async ({ stdout }) => {
          expect(stdout).toContain('"source": "environment"');
          expect(stdout).toMatch(/"percent": 50,\s+"previous_percent": 100,\s+"source": "database"/);
        },
      },
      {
        after: async ({ stdout }) => {
          expect(stdout).toMatch(/^JWT rollout: 0% \(was 50%, from the database\)/);
          expect(stdout).toMatch(/^percent\s+0$/m);
          await eventually(async () => (await loginStatus('dana', password)) === 403);
          // Rollback stops new JWT logins; tokens already issued keep working.
          expect(await status(a.access_token)).toBe(200);
        },
      },
      {
        before: async () => {
          // A client still on sessions, so the usage list has someone to show.
          const session = await post('/api/login', { username: 'dana', password }, { 'user-agent': 'legacy-client/1.0' });
          const cookie = session.headers.getSetCookie().find((c) => c.startsWith('session_id='))!.split(';')[0]!;
          expect((await api('/api/users', { headers: { cookie, 'user-agent': 'legacy-client/1.0' } })).status).toBe(200);
        },
        after: async ({ stdout }) => {
          expect(stdout).toContain('dana: always JWT, whatever the percentage');
          expect(stdout).toMatch(/^\[\]$/m); // the override, cleared through the API
          expect(stdout).toMatch(/"user_agent": "legacy-client\/1.0"/);
          expect(stdout).toMatch(/^USERNAME\s+USER_AGENT\s+REQUESTS\s+FIRST_SEEN\s+LAST_SEEN\ndana\s+legacy-client\/1.0\s+\d+/m);
          await eventually(async () => (await loginStatus('dana', password)) === 200);
        },
      },
    ],
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tessera-guide-'));
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    shell = new GuideShell(dir, {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? dir,
      TESSERA: base,
      PORT: String(port),
      HOST: '127.0.0.1',
      AUTH_RATE_LIMIT: '0',
      // "Investigate a reuse alert" replays a copied token at once, within the default 10 s grace.
      REFRESH_REUSE_INTERVAL: '0',
    });
    const start = await shell.run('npm start');
    expect(start, shell.log()).toMatchObject({ ok: true });
  });
  afterAll(async () => {
    await shell?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('checks every section of the guide, block for block', () => {
    expect(sections.map((s) => s.title)).toEqual(Object.keys(STEPS));
    for (const section of sections) expect(section.blocks.length, section.title).toBe(STEPS[section.title]!.length);
  });

  for (const section of sections) {
    it(`${section.title}: each command runs as written and does what the guide says`, async () => {
      const steps = STEPS[section.title] ?? [];
      for (const [i, block] of section.blocks.entries()) {
        await steps[i]?.before?.();
        const result = await shell.run(block);
        expect(result.ok, `block ${i + 1} of "${section.title}" failed:\n${block}\n${result.stderr}`).toBe(true);
        await steps[i]!.after(result);
      }
    });
  }
});
