import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresUrl } from '../support/fleet.js';
import { dropSchema, freshSchemaName } from '../support/postgres-schema.js';
import { postgresAvailable } from '../support/services.js';
import { createUser, getUsers, loginTokens, refresh, startTestInstance, type TestInstance, type TokenPairBody } from '../support/tessera.js';

const pgAvailable = await postgresAvailable();

/**
 * Findings 4 and 5 of issue 11, over HTTP on SQLite and PostgreSQL: a refresh-token family ends
 * REFRESH_FAMILY_MAX_AGE after its login however often it is refreshed, and with REFRESH_REUSE_INTERVAL
 * on only the token whose successor is still unused gets the grace.
 */
describe.each([
  ['SQLite', 'sqlite'],
  ['PostgreSQL', 'postgres'],
] as const)('on %s, refresh-token families', (_name, database) => {
  let t: TestInstance;
  let schema: string | undefined;

  beforeAll(async () => {
    if (database === 'postgres' && !pgAvailable) return;
    schema = database === 'postgres' ? freshSchemaName() : undefined;
    t = await startTestInstance({
      AUTH_RATE_LIMIT: '0',
      TOKEN_EXPIRY: '30',
      REFRESH_TOKEN_EXPIRY: '60',
      REFRESH_FAMILY_MAX_AGE: '3600',
      REFRESH_REUSE_INTERVAL: '10',
      ...(schema ? { DATABASE_URL: postgresUrl(schema) } : {}),
    });
    await createUser(t.tessera, 'mobile');
  });
  afterAll(async () => {
    await t?.close();
    if (schema) await dropSchema(schema);
  });

  it('refreshing every 40 seconds keeps a family alive only until REFRESH_FAMILY_MAX_AGE after the login', async ({ skip }) => {
    if (!t) skip('PostgreSQL is unreachable');
    let tokens = await loginTokens(t.app, 'mobile');
    const loggedInAt = t.clock.now();
    while (t.clock.now() + 40_000 < loggedInAt + 3600_000) {
      t.clock.advanceSeconds(40);
      const response = await refresh(t.app, tokens.refresh_token);
      expect(response.statusCode).toBe(200);
      tokens = response.json<TokenPairBody>();
    }
    t.clock.advance(loggedInAt + 3600_000 - t.clock.now());
    const late = await refresh(t.app, tokens.refresh_token);
    expect(late.statusCode).toBe(401);
    expect(late.json()).toEqual({ error: 'invalid_grant', error_description: 'The refresh token has expired; log in again', reason: 'expired' });
    // A new login starts a new family.
    expect((await refresh(t.app, (await loginTokens(t.app, 'mobile')).refresh_token)).statusCode).toBe(200);
  });

  it('within the reuse interval, replaying the token before last is reuse: the family is revoked, not handed a spent successor', async ({ skip }) => {
    if (!t) skip('PostgreSQL is unreachable');
    const rt1 = await loginTokens(t.app, 'mobile');
    const rt2 = (await refresh(t.app, rt1.refresh_token)).json<TokenPairBody>();
    const rt3 = (await refresh(t.app, rt2.refresh_token)).json<TokenPairBody>();

    const replay = await refresh(t.app, rt1.refresh_token);
    expect(replay.statusCode).toBe(401);
    expect(replay.json().error_description).toMatch(/already used.*revoked/);
    expect((await refresh(t.app, rt3.refresh_token)).statusCode).toBe(401);
    expect((await getUsers(t.app, rt3.access_token)).statusCode).toBe(401);
  });

  it('within the reuse interval, the token whose successor is still unused still gets that successor', async ({ skip }) => {
    if (!t) skip('PostgreSQL is unreachable');
    const rt1 = await loginTokens(t.app, 'mobile');
    const rt2 = (await refresh(t.app, rt1.refresh_token)).json<TokenPairBody>();
    const again = await refresh(t.app, rt1.refresh_token);
    expect(again.statusCode).toBe(200);
    expect(again.json<TokenPairBody>().refresh_token).toBe(rt2.refresh_token);
  });
});
