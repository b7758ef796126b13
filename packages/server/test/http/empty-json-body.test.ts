import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser, login, startTestInstance, type TestInstance } from '../support/tessera.js';

/** What fetch wrappers send for a cookie-only call: `Content-Type: application/json` and no body at all. */
const EMPTY_JSON = { 'content-type': 'application/json' };

describe('refresh and logout with Content-Type: application/json and an empty body', () => {
  let t: TestInstance;
  beforeAll(async () => {
    t = await startTestInstance({ AUTH_RATE_LIMIT: '0' });
    await createUser(t.tessera, 'eve');
  });
  afterAll(() => t.close());

  const cookieOf = async () => (await login(t.app, 'eve')).cookies.find((c) => c.name === '__Secure-refresh_token')!.value;

  it('refreshes from the cookie', async () => {
    const response = await t.app.inject({ method: 'POST', url: '/auth/refresh', headers: EMPTY_JSON, payload: '', cookies: { '__Secure-refresh_token': await cookieOf() } });
    expect(response.statusCode).toBe(200);
    expect(response.json().access_token).toBeTruthy();
  });

  it('logs out from the cookie', async () => {
    const response = await t.app.inject({ method: 'POST', url: '/auth/logout', headers: EMPTY_JSON, payload: '', cookies: { '__Secure-refresh_token': await cookieOf() } });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ status: 'logged_out' });
  });

  it('without a cookie, says which token is missing rather than that the body is empty', async () => {
    const response = await t.app.inject({ method: 'POST', url: '/auth/refresh', headers: EMPTY_JSON, payload: '' });
    expect(response.statusCode).toBe(400);
    expect(response.json().error_description).toBe('body.refresh_token is required (or the __Secure-refresh_token cookie)');
  });

  it('still refuses a body that is not JSON, and prototype poisoning', async () => {
    const broken = await t.app.inject({ method: 'POST', url: '/auth/refresh', headers: EMPTY_JSON, payload: '{"refresh_token":' });
    expect(broken.statusCode).toBe(400);
    expect(broken.json()).toEqual({ error: 'invalid_request', error_description: 'The body is not valid JSON' });
    const poisoned = await t.app.inject({ method: 'POST', url: '/auth/refresh', headers: EMPTY_JSON, payload: '{"__proto__":{"admin":true}}' });
    expect(poisoned.statusCode).toBe(400);
  });
});
