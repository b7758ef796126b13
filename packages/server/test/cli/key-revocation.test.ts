import { decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiStatus, cliEnvFor } from '../support/admin.js';
import { tessera } from '../support/cli.js';
import { TestClock } from '../support/clock.js';
import { postgresUrl } from '../support/fleet.js';
import { dropSchema, freshSchemaName } from '../support/postgres-schema.js';
import { postgresAvailable } from '../support/services.js';
import { sessionCookieFor, withSession } from '../support/sessions.js';
import { TEST_SECRET, createUser, login, loginTokens, refresh, startTestInstance, type TestInstance } from '../support/tessera.js';
import { PATIENCE_MS, until } from '../support/wait.js';

const pgAvailable = await postgresAvailable();
const kidOf = (token: string) => decodeProtectedHeader(token).kid as string;

/**
 * Finding 7 of issue 11: responding to a leak. `tessera keys revoke KID` takes a key out of the JWKS and
 * refuses everything it signed at once; `tessera tokens revoke --all` signs everyone out. The commands
 * run as separate CLI invocations against the database of a running server, which learns of them the
 * way it learns of any revocation (here: its revocation poll, run by hand).
 */
describe.each([
  ['SQLite', 'sqlite'],
  ['PostgreSQL', 'postgres'],
] as const)('on %s, responding to a leaked key', (_name, database) => {
  let t: TestInstance;
  let env: Record<string, string>;
  let schema: string | undefined;

  beforeAll(async () => {
    if (database === 'postgres' && !pgAvailable) return;
    schema = database === 'postgres' ? freshSchemaName() : undefined;
    // The CLI reads the real clock; the server's starts there too.
    t = await startTestInstance(
      { AUTH_RATE_LIMIT: '0', ...(schema ? { DATABASE_URL: postgresUrl(schema) } : {}) },
      { clock: new TestClock(Date.now()) },
    );
    env = schema
      ? { NODE_ENV: 'test', DATABASE_URL: postgresUrl(schema), JWT_SECRET: TEST_SECRET, LOG_LEVEL: 'silent' }
      : cliEnvFor(t);
    await createUser(t.tessera, 'lena');
    await createUser(t.tessera, 'omar');
  });
  afterAll(async () => {
    await t?.close();
    if (schema) await dropSchema(schema);
  });

  /** What the server's revocation poll (every 500 ms) does. */
  const serverCatchesUp = () => t.tessera.revocationFeed.poll();
  const jwksKids = async () => ((await t.app.inject({ url: '/.well-known/jwks.json' })).json<{ keys: Array<{ kid: string }> }>()).keys.map((k) => k.kid);
  /** The commands moved instants on the system clock; the server's test clock stands still. Move it past. */
  const clockPastTheCommand = () => t.clock.advance(Math.max(0, Date.now() + 1 - t.clock.now()));

  it('keys revoke: the access key leaves the JWKS, every token it signed is refused, and a new key signs', async ({ skip }) => {
    if (!t) skip('PostgreSQL is unreachable');
    const before = await loginTokens(t.app, 'lena');
    const leaked = kidOf(before.access_token);
    expect(await apiStatus(t, before.access_token)).toBe(200);
    expect(await jwksKids()).toContain(leaked);

    const result = await tessera(['keys', 'revoke', leaked], env);
    expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
    expect(result.stdout).toMatch(new RegExp(`^revoked access key ${leaked}: every token it signed is refused from now on\\nnew access key \\S+ signs from now on\\n$`));
    await serverCatchesUp();

    const refused = await t.app.inject({ url: '/api/me', headers: { authorization: `Bearer ${before.access_token}` } });
    expect(refused.statusCode).toBe(401);
    expect(refused.json().error).toBe('invalid_token');
    await until(async () => !(await jwksKids()).includes(leaked), PATIENCE_MS, 'the revoked key to leave the JWKS');
    const after = await loginTokens(t.app, 'lena');
    expect(kidOf(after.access_token)).not.toBe(leaked);
    expect(await apiStatus(t, after.access_token)).toBe(200);
  });

  it('keys revoke on the refresh key: every refresh token it signed is refused', async ({ skip }) => {
    if (!t) skip('PostgreSQL is unreachable');
    const before = await loginTokens(t.app, 'lena');
    const result = await tessera(['keys', 'revoke', kidOf(before.refresh_token), '--json'], env);
    expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
    expect(JSON.parse(result.stdout)).toMatchObject({ kid: kidOf(before.refresh_token), use: 'refresh', replacement_kid: expect.any(String) });
    await serverCatchesUp();
    expect((await refresh(t.app, before.refresh_token)).statusCode).toBe(401);
  });

  it('keys revoke with an unknown kid fails with one line and exit 1', async ({ skip }) => {
    if (!t) skip('PostgreSQL is unreachable');
    expect(await tessera(['keys', 'revoke', 'no-such-kid'], env)).toEqual({ code: 1, stdout: '', stderr: 'tessera: No signing key with kid "no-such-kid"\n' });
  });

  it('keys revoke takes a kid that begins with a dash (base64url kids do, one in 64) as the kid, not as an option', async ({ skip }) => {
    if (!t) skip('PostgreSQL is unreachable');
    expect(await tessera(['keys', 'revoke', '-no-such-kid', '--json'], env)).toEqual({
      code: 1,
      stdout: '',
      stderr: 'tessera: No signing key with kid "-no-such-kid"\n',
    });
  });

  it('tokens revoke --all signs every user out: tokens, refresh tokens and sessions; logging in again works', async ({ skip }) => {
    if (!t) skip('PostgreSQL is unreachable');
    clockPastTheCommand();
    const lena = await loginTokens(t.app, 'lena');
    const omar = await loginTokens(t.app, 'omar');
    const cookie = await sessionCookieFor(t.app, 'omar');

    const result = await tessera(['tokens', 'revoke', '--all', '--json'], env);
    expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
    expect(JSON.parse(result.stdout)).toMatchObject({ revoked_families: expect.any(Number), ended_sessions: 1 });
    await serverCatchesUp();

    for (const tokens of [lena, omar]) {
      expect(await apiStatus(t, tokens.access_token)).toBe(401);
      expect((await refresh(t.app, tokens.refresh_token)).statusCode).toBe(401);
    }
    expect((await withSession(t.app, '/api/me', cookie)).statusCode).toBe(401);
    clockPastTheCommand();
    expect((await login(t.app, 'omar')).statusCode).toBe(200);
  });
});
