import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiStatus, cliEnvFor } from '../support/admin.js';
import { tessera } from '../support/cli.js';
import { TEST_PASSWORD, createUser, refresh, startTestInstance, type TestInstance, type TokenPairBody } from '../support/tessera.js';
import { testClockAtRealTime } from '../support/clock.js';

describe('tessera tokens list|revoke', () => {
  let t: TestInstance;
  let env: Record<string, string>;
  const loginAs = async (username: string, userAgent: string) =>
    (
      await t.app.inject({ method: 'POST', url: '/auth/login', remoteAddress: '192.0.2.9', headers: { 'user-agent': userAgent }, payload: { username, password: TEST_PASSWORD } })
    ).json<TokenPairBody>();

  beforeAll(async () => {
    t = await startTestInstance({ AUTH_RATE_LIMIT: '0' }, { clock: testClockAtRealTime() });
    env = cliEnvFor(t);
  });
  afterAll(() => t.close());

  it("lists a user's devices as a table, or as JSON", async () => {
    await createUser(t.tessera, 'yara');
    await loginAs('yara', 'Laptop');
    t.clock.advanceSeconds(5);
    await loginAs('yara', 'Phone');
    const table = await tessera(['tokens', 'list', '--user', 'yara'], env);
    const lines = table.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^FAMILY\s+CREATED_AT\s+LAST_USED_AT\s+IP\s+USER_AGENT$/);
    expect(lines.slice(1).map((l) => l.split(/\s+/).slice(3))).toEqual([['192.0.2.9', 'Phone'], ['192.0.2.9', 'Laptop']]);
    const json = JSON.parse((await tessera(['tokens', 'list', '--user', 'yara', '--json'], env)).stdout) as Array<Record<string, unknown>>;
    expect(json.map((f) => f.user_agent)).toEqual(['Phone', 'Laptop']);
    expect(Object.keys(json[0]!)).toEqual(['family', 'created_at', 'last_used_at', 'ip', 'user_agent']);
  });

  it('revoke --user revokes every family and every access token of the user', async () => {
    const user = await createUser(t.tessera, 'zack');
    const a = await loginAs('zack', 'A');
    const b = await loginAs('zack', 'B');
    const b2 = (await refresh(t.app, b.refresh_token)).json<TokenPairBody>();
    const result = await tessera(['tokens', 'revoke', '--user', 'zack'], env);
    expect(result).toEqual({ code: 0, stdout: 'signed zack out everywhere: 2 families, 3 access tokens and 0 sessions ended\n', stderr: '' });
    await t.tessera.revocationFeed.poll();
    for (const token of [a.access_token, b.access_token, b2.access_token]) expect(await apiStatus(t, token)).toBe(401);
    expect((await refresh(t.app, a.refresh_token)).statusCode).toBe(401);
    expect((await refresh(t.app, b2.refresh_token)).statusCode).toBe(401);
    const [event] = await t.tessera.audit.query({ type: 'admin.user.sign_out', limit: 1 });
    expect(event).toMatchObject({ userId: user.id, actor: 'cli', detail: { families: 2, revokedAccessTokens: 3 } });
  });

  it('revoke --family signs out one device only', async () => {
    await createUser(t.tessera, 'abby');
    const laptop = await loginAs('abby', 'Laptop');
    const phone = await loginAs('abby', 'Phone');
    const families = JSON.parse((await tessera(['tokens', 'list', '--user', 'abby', '--json'], env)).stdout) as Array<{ family: string; user_agent: string }>;
    const id = families.find((f) => f.user_agent === 'Phone')!.family;
    const result = await tessera(['tokens', 'revoke', '--family', id, '--json'], env);
    expect(JSON.parse(result.stdout)).toEqual({ revoked_families: 1, revoked_access_tokens: 1, ended_sessions: 0 });
    await t.tessera.revocationFeed.poll();
    expect(await apiStatus(t, phone.access_token)).toBe(401);
    expect(await apiStatus(t, laptop.access_token)).toBe(200);
    expect((await tessera(['tokens', 'revoke', '--family', id], env)).stdout).toBe(`revoked family ${id}: 0 families, 0 access tokens and 0 sessions ended\n`);
  });

  it('fails with one line and exit 1 on bad input', async () => {
    const neither = await tessera(['tokens', 'revoke'], env);
    expect(neither).toEqual({ code: 1, stdout: '', stderr: 'tessera: give one of --user USERNAME (every credential of the user), --all (everyone) or --family ID (one device)\n' });
    expect((await tessera(['tokens', 'revoke', '--user', 'abby', '--family', 'x'], env)).code).toBe(1);
    expect(await tessera(['tokens', 'revoke', '--family', 'no-such-family'], env)).toMatchObject({
      code: 1,
      stderr: 'tessera: No session (refresh-token family) with id "no-such-family"\n',
    });
    expect(await tessera(['tokens', 'revoke', '--user', 'ghost'], env)).toMatchObject({ code: 1, stderr: 'tessera: No user named "ghost"\n' });
    const noUser = await tessera(['tokens', 'list'], env);
    expect(noUser.code).toBe(1);
    expect(noUser.stderr).toMatch(/required option '--user <username>' not specified/);
  });
});
