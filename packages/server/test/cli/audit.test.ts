import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliEnvFor } from '../support/admin.js';
import { tessera } from '../support/cli.js';
import { createUser, login, loginTokens, refresh, startTestInstance, type TestInstance } from '../support/tessera.js';

interface Row {
  id: number;
  at: string;
  type: string;
  user: string | null;
  user_id: string | null;
  actor: string | null;
  detail: Record<string, unknown> | null;
}

describe('tessera audit', () => {
  let t: TestInstance;
  let env: Record<string, string>;
  let start: number;
  const rows = async (...args: string[]) => {
    const result = await tessera(['audit', ...args, '--json'], env);
    expect(result.code).toBe(0);
    return JSON.parse(result.stdout) as Row[];
  };

  beforeAll(async () => {
    t = await startTestInstance({ AUTH_RATE_LIMIT: '0', REFRESH_REUSE_INTERVAL: '0' /* replays a token on purpose */ });
    env = cliEnvFor(t);
    start = t.clock.now();
    await createUser(t.tessera, 'cleo');
    await createUser(t.tessera, 'dora');
    const tokens = await loginTokens(t.app, 'cleo');
    t.clock.advanceSeconds(60);
    await refresh(t.app, tokens.refresh_token);
    await refresh(t.app, tokens.refresh_token);
    t.clock.advanceSeconds(60);
    await login(t.app, 'dora', 'not her password');
    await t.tessera.audit.flush();
    await tessera(['users', 'disable', 'dora'], env);
  });
  afterAll(() => t.close());

  it("shows a user's events newest first as a table, naming users and the CLI as actor", async () => {
    const table = await tessera(['audit', '--user', 'dora'], env);
    const lines = table.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ID\s+AT\s+TYPE\s+USER\s+ACTOR\s+IP\s+USER_AGENT\s+DETAIL$/);
    expect(lines[1]).toMatch(/^\d+\s+\S+Z\s+admin\.user\.disable\s+dora\s+cli\s+-\s+-\s+\{"families":0,"revokedAccessTokens":0,"endedSessions":0\}$/);
    expect(lines[2]).toMatch(/login\.failure\s+dora\s+-\s+127\.0\.0\.1\s+lightMyRequest\s+\{"username":"dora","reason":"bad_password"\}$/);
  });

  it('filters by type and time, limits and pages, and prints JSON for scripts', async () => {
    const reuse = await rows('--type', 'token.reuse_detected');
    expect(reuse).toEqual([expect.objectContaining({ type: 'token.reuse_detected', user: 'cleo', detail: expect.objectContaining({ revokedAccessTokens: 2 }) })]);
    const window = await rows('--since', new Date(start + 60_000).toISOString(), '--until', new Date(start + 120_000).toISOString());
    expect(window.map((r) => r.type)).toEqual(['token.reuse_detected', 'token.refresh']);
    const [newest] = await rows('--limit', '1');
    expect(newest!.type).toBe('admin.user.disable');
    const older = await rows('--limit', '2', '--before', String(newest!.id));
    expect(older.map((r) => r.type)).toEqual(['login.failure', 'token.reuse_detected']);
  });

  it('fails with one line and exit 1 on a bad time, limit or user', async () => {
    expect(await tessera(['audit', '--since', 'last week'], env)).toEqual({
      code: 1,
      stdout: '',
      stderr: 'tessera: since must be an ISO 8601 time such as 2026-01-31T12:00:00Z (got "last week")\n',
    });
    expect((await tessera(['audit', '--limit', '0'], env)).stderr).toMatch(/^tessera: --limit must be a whole number from 1 to 10000/);
    expect(await tessera(['audit', '--user', 'ghost'], env)).toMatchObject({ code: 1, stderr: 'tessera: No user named "ghost"\n' });
    expect(await tessera(['audit', '--type', 'login.sucess'], env)).toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/^tessera: type "login.sucess" is not an audit event type; the types are login.success, /),
    });
  });
});

describe('tessera audit and terminal control characters', () => {
  const hostile = 'curl/8 \u009b2J\u009b31mowned\u009b0m \u202eexe.txt';
  let t: TestInstance;
  let env: Record<string, string>;
  beforeAll(async () => {
    t = await startTestInstance({ AUTH_RATE_LIMIT: '0', REFRESH_REUSE_INTERVAL: '0' /* replays a token on purpose */ });
    env = cliEnvFor(t);
    await createUser(t.tessera, 'uma');
    const answer = await t.app.inject({ method: 'POST', url: '/auth/login', headers: { 'user-agent': hostile }, payload: { username: 'uma', password: 'correct horse battery' } });
    expect(answer.statusCode).toBe(200);
    await t.tessera.audit.flush();
  });
  afterAll(() => t.close());

  it('prints a User-Agent holding C1 controls and a bidi override as visible escapes in its table', async () => {
    const table = await tessera(['audit', '--user', 'uma'], env);
    expect(table.code).toBe(0);
    expect(table.stdout).not.toMatch(/[\u0080-\u009f\u202e]/);
    expect(table.stdout).toContain('curl/8 \\x9b2J\\x9b31mowned\\x9b0m \\u202eexe.txt');
  });

  it('prints them escaped in JSON too, which still parses to the stored value', async () => {
    const json = await tessera(['audit', '--user', 'uma', '--json'], env);
    expect(json.stdout).not.toMatch(/[\u0080-\u009f\u202e]/);
    expect((JSON.parse(json.stdout) as Row[] & Array<{ user_agent: string }>)[0]!.user_agent).toBe(hostile);
  });
});
