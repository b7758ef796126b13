import { decodeJwt, decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_SECRET, createUser, getUsers, loginTokens, refresh, startTestInstance, type TestInstance, type TokenPairBody } from '../support/tessera.js';

describe("the seed's manual test plan (steps 4–7)", () => {
  let t: TestInstance;
  let tokens: TokenPairBody;

  beforeAll(async () => {
    t = await startTestInstance({ AUTH_RATE_LIMIT: '0' });
    await createUser(t.tessera, 'test', 'user', 'test1234');
    tokens = await loginTokens(t.app, 'test', 'test1234');
  });
  afterAll(() => t.close());

  it('step 4: login answers access_token, refresh_token and expires_in 900', () => {
    expect(tokens.access_token).toMatch(/^eyJ[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(tokens.refresh_token).toMatch(/^eyJ[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(tokens.expires_in).toBe(900);
    expect(tokens.token_type).toBe('Bearer');
  });

  it('step 5: the access token opens GET /api/users with the user list', async () => {
    const response = await getUsers(t.app, tokens.access_token);
    expect(response.statusCode).toBe(200);
    const users = response.json<Array<Record<string, unknown>>>();
    expect(users.map((u) => u.username)).toContain('test');
    expect(Object.keys(users[0]!).sort()).toEqual(['created_at', 'id', 'role', 'username']);
    expect(response.body).not.toContain('argon2');
  });

  it('step 6: an invalid token gets 401 with a JSON error', async () => {
    const response = await getUsers(t.app, 'invalid_token');
    expect(response.statusCode).toBe(401);
    expect(response.json()).toEqual({ error: 'invalid_token', error_description: 'The access token is malformed' });
  });

  it('step 7: the refresh token buys a new access token (and a new refresh token)', async () => {
    const response = await refresh(t.app, tokens.refresh_token);
    expect(response.statusCode).toBe(200);
    const next = response.json<TokenPairBody>();
    expect(next.access_token).not.toBe(tokens.access_token);
    expect(next.refresh_token).not.toBe(tokens.refresh_token);
    expect((await getUsers(t.app, next.access_token)).statusCode).toBe(200);
  });
});

describe('what the tokens carry', () => {
  let t: TestInstance;
  beforeAll(async () => {
    t = await startTestInstance({ AUTH_RATE_LIMIT: '0', JWT_ISSUER: 'https://auth.example', JWT_AUDIENCE: 'orders-api' });
  });
  afterAll(() => t.close());

  it('an access token holds only the user id, role and token bookkeeping, typed at+jwt with a kid', async () => {
    const user = await createUser(t.tessera, 'claims', 'admin');
    const { access_token } = await loginTokens(t.app, 'claims');
    const header = decodeProtectedHeader(access_token);
    expect(header).toEqual({ alg: 'RS256', typ: 'at+jwt', kid: expect.any(String) });
    const claims = decodeJwt(access_token);
    expect(Object.keys(claims).sort()).toEqual(['aud', 'auth_time', 'client_id', 'exp', 'iat', 'iss', 'jti', 'role', 'sub']);
    expect(claims).toMatchObject({ sub: user.id, role: 'admin', iss: 'https://auth.example', aud: 'orders-api', client_id: 'tessera' });
    expect(claims.exp! - claims.iat!).toBe(900);
    // RFC 9068's auth_time: when the password was checked — for a fresh login, just before the token was issued.
    expect(claims.auth_time).toBeLessThanOrEqual(claims.iat!);
    expect(claims.auth_time).toBeGreaterThan(claims.iat! - 60);
  });

  it('the refresh token is typed rt+jwt, lasts 7 days and names no role', async () => {
    await createUser(t.tessera, 'claims2');
    const { refresh_token } = await loginTokens(t.app, 'claims2');
    expect(decodeProtectedHeader(refresh_token)).toMatchObject({ alg: 'HS256', typ: 'rt+jwt' });
    const claims = decodeJwt(refresh_token);
    expect(claims.exp! - claims.iat!).toBe(604_800);
    expect(claims.role).toBeUndefined();
  });

  it('login sets the refresh token as an HttpOnly, Secure, SameSite=Strict __Secure- cookie scoped to /auth', async () => {
    await createUser(t.tessera, 'cookie');
    const response = await t.app.inject({ method: 'POST', url: '/auth/login', payload: { username: 'cookie', password: 'correct horse battery' } });
    const cookie = response.cookies.find((c) => c.name === '__Secure-refresh_token')!;
    expect(cookie.value).toBe(response.json<TokenPairBody>().refresh_token);
    expect(cookie).toMatchObject({ httpOnly: true, secure: true, sameSite: 'Strict', path: '/auth', maxAge: 604_800 });
    expect(response.headers['cache-control']).toBe('no-store');
  });

  it('TOKEN_EXPIRY and REFRESH_TOKEN_EXPIRY set the lifetimes', async () => {
    const custom = await startTestInstance({ TOKEN_EXPIRY: '60', REFRESH_TOKEN_EXPIRY: '3600' });
    try {
      await createUser(custom.tessera, 'short');
      const tokens = await loginTokens(custom.app, 'short');
      expect(tokens.expires_in).toBe(60);
      const refreshClaims = decodeJwt(tokens.refresh_token);
      expect(refreshClaims.exp! - refreshClaims.iat!).toBe(3600);
    } finally {
      await custom.close();
    }
  });
});

describe('what the database keeps', () => {
  it('holds no refresh token, access token or private key in the clear', async () => {
    const { readFileSync } = await import('node:fs');
    const t = await startTestInstance({ AUTH_RATE_LIMIT: '0' });
    try {
      await createUser(t.tessera, 'vault');
      const tokens = await loginTokens(t.app, 'vault');
      const { SecretBox } = await import('../../src/tokens/secret-box.js');
      const [access] = (await t.tessera.store.keys.list()).filter((k) => k.use === 'access');
      const privateExponent = JSON.parse(await new SecretBox(TEST_SECRET).open(access!.sealedKey)).d as string;
      expect(privateExponent.length).toBeGreaterThan(100);
      await t.tessera.store.close();
      const path = t.config.database.kind === 'sqlite' ? t.config.database.path : '';
      const files = [path, `${path}-wal`].map((file) => {
        try {
          return readFileSync(file).toString('latin1');
        } catch {
          return '';
        }
      });
      const raw = files.join('');
      expect(raw).toContain('vault');
      for (const secret of [tokens.refresh_token, tokens.access_token, privateExponent, 'correct horse battery']) {
        expect(raw).not.toContain(secret);
      }
    } finally {
      await t.close();
    }
  });
});

describe('GET /api/me', () => {
  it('answers who the caller is from the token alone', async () => {
    const t = await startTestInstance({ AUTH_RATE_LIMIT: '0' });
    try {
      const user = await createUser(t.tessera, 'self', 'admin');
      const { access_token } = await loginTokens(t.app, 'self');
      await t.tessera.store.close(); // no database needed
      const response = await t.app.inject({ url: '/api/me', headers: { authorization: `Bearer ${access_token}` } });
      expect(response.statusCode).toBe(200);
      expect(response.json()).toEqual({
        id: user.id,
        role: 'admin',
        auth: 'jwt',
        expires_at: new Date(t.clock.now() + 900_000).toISOString(),
      });
      expect((await t.app.inject({ url: '/api/me' })).statusCode).toBe(401);
    } finally {
      await t.close();
    }
  });
});
