import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiStatus, cliEnvFor } from '../support/admin.js';
import { tessera } from '../support/cli.js';
import { createUser, login, loginTokens, refresh, startTestInstance, type TestInstance } from '../support/tessera.js';
import { testClockAtRealTime } from '../support/clock.js';

describe('tessera users disable|enable|set-role|reset-password', () => {
  let t: TestInstance;
  let env: Record<string, string>;
  /** A running server learns of the CLI's revocations by polling the store; this is that poll, now. */
  const serverCatchesUp = () => t.tessera.revocationFeed.poll();
  const cliEvents = async (type: string) => (await t.tessera.audit.query({ type, limit: 10 })).filter((e) => e.actor === 'cli');

  beforeAll(async () => {
    t = await startTestInstance({ AUTH_RATE_LIMIT: '0' }, { clock: testClockAtRealTime() });
    env = cliEnvFor(t);
  });
  afterAll(() => t.close());

  /**
   * The command moved the user's valid-after to its own (system) clock's now; the server's test clock
   * stands still, so a login on it would look older than the change. Move it past, as real time would.
   */
  const clockPastTheCommand = () => t.clock.advance(Math.max(0, Date.now() + 1 - t.clock.now()));

  it('disable signs the user out everywhere and refuses their logins; enable lets them log in again', async () => {
    const user = await createUser(t.tessera, 'vera');
    const tokens = await loginTokens(t.app, 'vera');
    const disabled = await tessera(['users', 'disable', 'Vera'], env);
    expect(disabled).toEqual({
      code: 0,
      stdout: 'disabled vera: logins refused; signed out everywhere (1 family, 1 access token and 0 sessions ended)\n',
      stderr: '',
    });
    await serverCatchesUp();
    expect(await apiStatus(t, tokens.access_token)).toBe(401);
    expect((await refresh(t.app, tokens.refresh_token)).statusCode).toBe(401);
    expect((await login(t.app, 'vera')).statusCode).toBe(401);
    expect(await cliEvents('admin.user.disable')).toEqual([expect.objectContaining({ userId: user.id, ip: null })]);

    clockPastTheCommand();
    const enabled = await tessera(['users', 'enable', 'vera', '--json'], env);
    expect(JSON.parse(enabled.stdout)).toMatchObject({ username: 'vera', disabled_at: null });
    expect((await login(t.app, 'vera')).statusCode).toBe(200);
  });

  it('list says whose email address is verified: one an operator gave is, one the user set and never confirmed is not', async () => {
    expect((await tessera(['users', 'add', 'quinn', '--email', 'quinn@example.com', '--password', 'a long enough passphrase 42'], env)).code).toBe(0);
    const yusuf = await createUser(t.tessera, 'yusuf');
    await t.tessera.store.users.update(yusuf.id, { email: 'yusuf@example.com' }, Date.now());
    await createUser(t.tessera, 'zoe');
    const listed = JSON.parse((await tessera(['users', 'list', '--limit', '10000', '--json'], env)).stdout) as Array<{ username: string; email: string | null; email_verified: boolean }>;
    const row = (username: string) => listed.find((user) => user.username === username);
    expect(row('quinn')).toMatchObject({ email: 'quinn@example.com', email_verified: true });
    expect(row('yusuf')).toMatchObject({ email: 'yusuf@example.com', email_verified: false });
    expect(row('zoe')).toMatchObject({ email: null, email_verified: false });
    const table = (await tessera(['users', 'list', '--limit', '10000'], env)).stdout.split('\n');
    expect(table[0]).toMatch(/^ID\s+USERNAME\s+ROLE\s+EMAIL\s+EMAIL_VERIFIED\s+CREATED_AT\s+DISABLED_AT$/);
    expect(table.find((line) => line.includes(' yusuf '))).toMatch(/yusuf@example\.com\s+false\s/);
  });

  it('set-role applies at once: the access token is refused, and a refresh carries the new role', async () => {
    await createUser(t.tessera, 'walt');
    const tokens = await loginTokens(t.app, 'walt');
    const result = await tessera(['users', 'set-role', 'walt', 'admin'], env);
    expect(result).toMatchObject({ code: 0, stdout: 'walt now has role admin\n' });
    await serverCatchesUp();
    expect(await apiStatus(t, tokens.access_token)).toBe(401);
    const refreshed = (await refresh(t.app, tokens.refresh_token)).json<{ access_token: string }>();
    expect((await t.app.inject({ url: '/admin/users', headers: { authorization: `Bearer ${refreshed.access_token}` } })).statusCode).toBe(200);
    const json = await tessera(['users', 'set-role', 'walt', 'user', '--json'], env);
    expect(JSON.parse(json.stdout)).toMatchObject({ username: 'walt', role: 'user' });
  });

  it('reset-password reads the new password from standard input and signs the user out everywhere', async () => {
    await createUser(t.tessera, 'xena');
    const tokens = await loginTokens(t.app, 'xena');
    const result = await tessera(['users', 'reset-password', 'xena'], env, 'fresh new password\n');
    expect(result).toMatchObject({
      code: 0,
      stdout: 'password of xena reset; signed out everywhere (1 family, 1 access token and 0 sessions ended)\n',
    });
    await serverCatchesUp();
    clockPastTheCommand();
    expect(await apiStatus(t, tokens.access_token)).toBe(401);
    expect((await login(t.app, 'xena')).statusCode).toBe(401);
    expect((await login(t.app, 'xena', 'fresh new password')).statusCode).toBe(200);

    const json = await tessera(['users', 'reset-password', 'xena', '--password', 'another new password', '--json'], env);
    // Only the token of the login since the first reset: the earlier one was revoked already.
    expect(JSON.parse(json.stdout)).toEqual({ username: 'xena', revoked_families: 1, revoked_access_tokens: 1, ended_sessions: 0 });
    clockPastTheCommand();
    expect((await login(t.app, 'xena', 'another new password')).statusCode).toBe(200);
    expect(await cliEvents('admin.user.password_reset')).toHaveLength(2);
  });

  it('fails with one line and exit 1 for an unknown user, a bad role or a short password', async () => {
    expect(await tessera(['users', 'disable', 'ghost'], env)).toEqual({ code: 1, stdout: '', stderr: 'tessera: No user named "ghost"\n' });
    expect(await tessera(['users', 'set-role', 'xena', 'Boss!'], env)).toMatchObject({
      code: 1,
      stderr: 'tessera: role must be 1–32 lowercase letters, digits, _ or -, starting with a letter, and not "service" (the role of services\' own tokens)\n',
    });
    expect(await tessera(['users', 'set-role', 'xena', 'service'], env)).toMatchObject({
      code: 1,
      stderr: expect.stringContaining('and not "service"'),
    });
    expect(await tessera(['users', 'reset-password', 'xena'], env, 'short\n')).toMatchObject({
      code: 1,
      stderr: 'tessera: password must be 8–1024 characters\n',
    });
    expect((await tessera(['users', 'reset-password', 'xena'], env, '')).stderr).toMatch(/^tessera: a password is required/);
    const missing = await tessera(['users', 'set-role', 'xena'], env);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/missing required argument 'role'/);
  });

  it('describes each command in --help', async () => {
    const help = await tessera(['users', '--help'], env);
    expect(help.code).toBe(0);
    for (const command of ['add', 'list', 'disable', 'enable', 'set-role', 'reset-password']) expect(help.stdout).toContain(command);
  });
});
