import type Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser, getUsers, loginTokens, refresh, startTestInstance, type TestInstance, type TokenPairBody } from '../support/tessera.js';

describe('refresh-token rotation', () => {
  let t: TestInstance;
  beforeAll(async () => {
    t = await startTestInstance({ AUTH_RATE_LIMIT: '0', REFRESH_REUSE_INTERVAL: '0' /* replays tokens on purpose */ });
    await createUser(t.tessera, 'bob');
    await createUser(t.tessera, 'carol');
  });
  afterAll(() => t.close());

  it('every refresh answers a new refresh token and sets it as the cookie', async () => {
    const first = await loginTokens(t.app, 'bob');
    const response = await refresh(t.app, first.refresh_token);
    const second = response.json<TokenPairBody>();
    expect(second.refresh_token).not.toBe(first.refresh_token);
    expect(response.cookies.find((c) => c.name === '__Secure-refresh_token')?.value).toBe(second.refresh_token);
  });

  it('a refresh token works exactly once', async () => {
    const first = await loginTokens(t.app, 'bob');
    expect((await refresh(t.app, first.refresh_token)).statusCode).toBe(200);
    const again = await refresh(t.app, first.refresh_token);
    expect(again.statusCode).toBe(401);
    expect(again.json().error).toBe('invalid_grant');
  });

  it('presenting a rotated token revokes the whole family, every descendant and its access tokens included', async () => {
    const first = await loginTokens(t.app, 'bob');
    const second = (await refresh(t.app, first.refresh_token)).json<TokenPairBody>();
    const third = (await refresh(t.app, second.refresh_token)).json<TokenPairBody>();

    const replay = await refresh(t.app, first.refresh_token);
    expect(replay.statusCode).toBe(401);
    expect(replay.json().error_description).toMatch(/already used.*revoked/);

    expect((await refresh(t.app, third.refresh_token)).statusCode).toBe(401);
    expect((await getUsers(t.app, third.access_token)).statusCode).toBe(401);
    expect((await getUsers(t.app, second.access_token)).statusCode).toBe(401);
  });

  it("reuse in one family leaves the user's other devices logged in", async () => {
    const laptop = await loginTokens(t.app, 'carol');
    const phone = await loginTokens(t.app, 'carol');
    await refresh(t.app, laptop.refresh_token);
    await refresh(t.app, laptop.refresh_token); // replay: laptop family revoked
    expect((await getUsers(t.app, phone.access_token)).statusCode).toBe(200);
    expect((await refresh(t.app, phone.refresh_token)).statusCode).toBe(200);
  });

  it('the refresh token can come from the cookie alone, with no body, and its successor goes in the cookie only', async () => {
    const login = await t.app.inject({ method: 'POST', url: '/auth/login', payload: { username: 'bob', password: 'correct horse battery' } });
    const cookie = login.cookies.find((c) => c.name === '__Secure-refresh_token')!;
    const response = await t.app.inject({ method: 'POST', url: '/auth/refresh', cookies: { '__Secure-refresh_token': cookie.value } });
    expect(response.statusCode).toBe(200);
    expect(response.json<TokenPairBody>().access_token).toBeTruthy();
    // A script on a page (an injected one too) that refreshes with the cookie never holds a refresh token.
    expect(Object.keys(response.json()).sort()).toEqual(['access_token', 'expires_in', 'token_type']);
    const successor = response.cookies.find((c) => c.name === '__Secure-refresh_token')!;
    expect(successor.httpOnly).toBe(true);
    const next = await t.app.inject({ method: 'POST', url: '/auth/refresh', cookies: { '__Secure-refresh_token': successor.value } });
    expect(next.statusCode).toBe(200);
  });

  it('no refresh token at all is a 400 naming the field', async () => {
    const response = await t.app.inject({ method: 'POST', url: '/auth/refresh', payload: {} });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({
      error: 'invalid_request',
      error_description: 'body.refresh_token is required (or the __Secure-refresh_token cookie)',
    });
  });

  it('a disabled user cannot refresh', async () => {
    const user = await createUser(t.tessera, 'dave');
    const tokens = await loginTokens(t.app, 'dave');
    await t.tessera.store.users.update(user.id, { disabledAt: t.clock.now() }, t.clock.now());
    const response = await refresh(t.app, tokens.refresh_token);
    expect(response.statusCode).toBe(401);
    expect(response.json().error_description).toBe('The account is disabled');
    expect((await getUsers(t.app, tokens.access_token)).statusCode).toBe(401);
  });

  it('the new access token carries the role as it is now', async () => {
    const user = await createUser(t.tessera, 'erin');
    const tokens = await loginTokens(t.app, 'erin');
    await t.tessera.store.users.update(user.id, { role: 'admin' }, t.clock.now());
    const next = (await refresh(t.app, tokens.refresh_token)).json<TokenPairBody>();
    const claims = JSON.parse(Buffer.from(next.access_token.split('.')[1]!, 'base64url').toString());
    expect(claims.role).toBe('admin');
  });

  it('signs the new access token before the rotation commits, and hands out nothing when the commit fails', async () => {
    const tokens = await loginTokens(t.app, 'bob');
    const db = (t.tessera.store as unknown as { driver: { db: Database.Database } }).driver.db;
    // Whether a transaction was open when each access token was signed.
    const signedInTransaction: boolean[] = [];
    const accessTokens = t.tessera.accessTokens;
    const sign = accessTokens.sign.bind(accessTokens);
    accessTokens.sign = (...args) => {
      signedInTransaction.push(db.inTransaction);
      return sign(...args);
    };
    // The disk refuses every commit while the refresh is under way (a background write retries later).
    const exec = db.exec.bind(db);
    let refused = 0;
    db.exec = (sql: string) => {
      if (sql !== 'COMMIT') return exec(sql);
      refused += 1;
      throw new Error('disk I/O error');
    };
    let failed;
    try {
      failed = await refresh(t.app, tokens.refresh_token);
    } finally {
      db.exec = exec;
      Reflect.deleteProperty(accessTokens, 'sign'); // the class's own method again
    }
    expect(refused).toBeGreaterThanOrEqual(1);
    expect(signedInTransaction).toEqual([true]);
    expect(failed.statusCode).toBeGreaterThanOrEqual(500);
    expect(Object.keys(failed.json()).sort()).toEqual(['error', 'error_description']);
    expect(failed.cookies.find((c) => c.name === '__Secure-refresh_token')).toBeUndefined();
    expect((await refresh(t.app, tokens.refresh_token)).statusCode).toBe(200);
  });
});

describe('REFRESH_REUSE_INTERVAL', () => {
  let t: TestInstance;
  beforeAll(async () => {
    t = await startTestInstance({ AUTH_RATE_LIMIT: '0', REFRESH_REUSE_INTERVAL: '10' });
    await createUser(t.tessera, 'racer');
  });
  afterAll(() => t.close());

  it('a racing client presenting the just-rotated token gets the same successor', async () => {
    const first = await loginTokens(t.app, 'racer');
    const a = (await refresh(t.app, first.refresh_token)).json<TokenPairBody>();
    t.clock.advanceSeconds(5);
    const b = await refresh(t.app, first.refresh_token);
    expect(b.statusCode).toBe(200);
    expect(b.json<TokenPairBody>().refresh_token).toBe(a.refresh_token);
    expect((await getUsers(t.app, b.json<TokenPairBody>().access_token)).statusCode).toBe(200);
    // the successor itself still works once
    expect((await refresh(t.app, a.refresh_token)).statusCode).toBe(200);
  });

  it('after the interval the same replay is reuse and revokes the family', async () => {
    const first = await loginTokens(t.app, 'racer');
    const a = (await refresh(t.app, first.refresh_token)).json<TokenPairBody>();
    t.clock.advanceSeconds(11);
    expect((await refresh(t.app, first.refresh_token)).statusCode).toBe(401);
    expect((await refresh(t.app, a.refresh_token)).statusCode).toBe(401);
  });
});
