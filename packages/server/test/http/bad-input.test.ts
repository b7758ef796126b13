import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminClient } from '../support/admin.js';
import { createUser, loginTokens, startTestInstance, type TestInstance } from '../support/tessera.js';

describe('bad input gets a clear 4xx and a JSON error, never a 5xx', () => {
  let t: TestInstance;
  beforeAll(async () => {
    t = await startTestInstance({ AUTH_RATE_LIMIT: '0' });
    await createUser(t.tessera, 'grace');
  });
  afterAll(() => t.close());

  const post = (url: string, payload: string, contentType = 'application/json', token?: string) =>
    t.app.inject({ method: 'POST', url, payload, headers: { 'content-type': contentType, ...(token && { authorization: `Bearer ${token}` }) } });

  it.each([
    ['malformed JSON', '{"username":', 400, 'invalid_request', 'The body is not valid JSON'],
    ['a JSON array', '[]', 400, 'invalid_request', 'body must be object'],
    ['JSON null', 'null', 400, 'invalid_request', 'body.username is required'],
    ['a missing password', '{"username":"grace"}', 400, 'invalid_request', 'body.password is required'],
    ['a numeric username', '{"username":123,"password":"x"}', 400, 'invalid_request', 'body.username must be string'],
    ['an object password', '{"username":"grace","password":{"$ne":null}}', 400, 'invalid_request', 'body.password must be string'],
    ['an empty username', '{"username":"","password":"x"}', 400, 'invalid_request', 'body.username must NOT have fewer than 1 characters'],
  ])('login with %s → %i naming the field', async (_what, payload, status, error, description) => {
    const response = await post('/auth/login', payload);
    expect(response.statusCode).toBe(status);
    expect(response.json()).toEqual({ error, error_description: description });
  });

  it('refuses a prototype-pollution body without harm, saying which key, on auth routes and the rest alike', async () => {
    const { access_token } = await loginTokens(t.app, 'grace');
    const poisoned = 'The body may not hold a "__proto__" key, or a "constructor" key holding "prototype"';
    for (const [url, body] of [
      ['/auth/login', '{"username":"grace","password":"x","__proto__":{"role":"admin"}}'],
      ['/auth/login', '{"username":"grace","password":"x","constructor":{"prototype":{"role":"admin"}}}'],
      ['/api/me/password', '{"current_password":"x","new_password":"a long password","\\u005f_proto__":{"role":"admin"}}'],
    ] as const) {
      const response = await post(url, body, 'application/json', access_token);
      expect(response.statusCode).toBe(400);
      expect(response.json()).toEqual({ error: 'invalid_request', error_description: poisoned });
    }
    expect(({} as Record<string, unknown>).role).toBeUndefined();
  });

  it('refuses a body naming a field twice in one object, however the second is spelt, where JSON.parse would keep the last', async () => {
    for (const [body, name] of [
      ['{"username":"grace","username":"admin","password":"x"}', 'username'],
      ['{"username":"grace","password":"x","\\u0075sername":"admin"}', 'username'],
    ] as const) {
      const response = await post('/auth/login', body);
      expect(response.statusCode).toBe(400);
      expect(response.json()).toEqual({ error: 'invalid_request', error_description: `The body names "${name}" twice in one object` });
    }
    // The same name in two different objects is no repetition.
    const { access_token } = await loginTokens(t.app, 'grace');
    const nested = await post('/api/me/password', '{"current_password":"wrong","new_password":"a long password"}', 'application/json', access_token);
    expect(nested.json().error_description).not.toMatch(/twice/);
  });

  it('answers a path segment past 200 characters with 414, and an undecodable %-escape with 400, never echoing the path back', async () => {
    const { access_token } = await loginTokens(t.app, 'grace');
    const long = await t.app.inject({ method: 'DELETE', url: `/api/me/devices/${'a'.repeat(5000)}`, headers: { authorization: `Bearer ${access_token}` } });
    expect(long.statusCode).toBe(414);
    expect(long.json()).toEqual({ error: 'uri_too_long', error_description: 'A segment of the path is longer than 200 characters' });
    const undecodable = await t.app.inject({ url: `/api/me/devices/%ZZ${'b'.repeat(100)}`, method: 'DELETE', headers: { authorization: `Bearer ${access_token}` } });
    expect(undecodable.json()).toEqual({ error: 'invalid_request', error_description: 'The URL is malformed' });
  });

  it('names at most 200 characters of a path no route serves, never echoing all of it', async () => {
    const response = await t.app.inject({ url: `/x/${'a'.repeat(15_000)}` });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toEqual({ error: 'not_found', error_description: `No route for GET ${`/x/${'a'.repeat(15_000)}`.slice(0, 200)}…` });
  });

  it('reads Content-Type: application/json with no body at all as no fields on every route, as fetch wrappers send it', async () => {
    const { access_token } = await loginTokens(t.app, 'grace');
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${access_token}` };
    const devices = await t.app.inject({ url: '/api/me/devices', headers: { authorization: `Bearer ${access_token}` } });
    const [device] = devices.json() as Array<{ id: string }>;
    const ended = await t.app.inject({ method: 'DELETE', url: `/api/me/devices/${device!.id}`, headers, payload: '' });
    expect(ended.statusCode, ended.body).toBe(200);
    const needsFields = await t.app.inject({ method: 'POST', url: '/auth/login', headers: { 'content-type': 'application/json' }, payload: '' });
    expect(needsFields.json()).toEqual({ error: 'invalid_request', error_description: 'body.username is required' });
  });

  it('answers 413 for a body over the auth limit', async () => {
    const response = await post('/auth/login', JSON.stringify({ username: 'grace', password: 'x'.repeat(10_000) }));
    expect(response.statusCode).toBe(413);
    expect(response.json()).toEqual({ error: 'payload_too_large', error_description: 'The request body is too large' });
  });

  it('answers 415 for a form-encoded body', async () => {
    const response = await post('/auth/login', 'username=grace&password=x', 'application/x-www-form-urlencoded');
    expect(response.statusCode).toBe(415);
    expect(response.json().error).toBe('unsupported_media_type');
  });

  it('answers 400 for an empty JSON body', async () => {
    const response = await post('/auth/login', '');
    expect(response.statusCode).toBe(400);
    expect(response.json().error).toBe('invalid_request');
  });

  it('answers 404 JSON for an unknown route and 405 with Allow for a wrong method', async () => {
    const missing = await t.app.inject({ url: '/nowhere?x=1' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toEqual({ error: 'not_found', error_description: 'No route for GET /nowhere' });
    const wrongMethod = await t.app.inject({ url: '/auth/login' });
    expect(wrongMethod.statusCode).toBe(405);
    expect(wrongMethod.headers.allow).toBe('POST');
  });

  it('answers 400 for out-of-range paging on /api/users', async () => {
    const { access_token } = await loginTokens(t.app, 'grace');
    for (const query of ['limit=0', 'limit=abc', 'offset=-1', 'limit=5000', 'surprise=1']) {
      const response = await t.app.inject({ url: `/api/users?${query}`, headers: { authorization: `Bearer ${access_token}` } });
      expect(response.statusCode, query).toBe(400);
      expect(response.json().error).toBe('invalid_request');
    }
  });

  it('answers 400 for paging not written in decimal digits, which JavaScript alone would read as a number', async () => {
    const { access_token } = await loginTokens(t.app, 'grace');
    for (const [name, value] of [['limit', '1e1'], ['limit', '0x10'], ['limit', '%205'], ['limit', '1.0'], ['limit', '+5'], ['limit', ''], ['offset', '1e19']]) {
      const response = await t.app.inject({ url: `/api/users?${name}=${value}`, headers: { authorization: `Bearer ${access_token}` } });
      expect(response.statusCode, value).toBe(400);
      expect(response.json(), value).toEqual({ error: 'invalid_request', error_description: `querystring.${name} must be an integer written in decimal digits` });
    }
    const twice = await t.app.inject({ url: '/api/users?limit=5&limit=6', headers: { authorization: `Bearer ${access_token}` } });
    expect(twice.json()).toEqual({ error: 'invalid_request', error_description: 'querystring.limit must be sent once' });
    const leadingZero = await t.app.inject({ url: '/api/users?limit=010', headers: { authorization: `Bearer ${access_token}` } });
    expect(leadingZero.statusCode).toBe(200);
  });

  it('answers 400, not a database error, for an offset past 64-bit integers on /api/users', async () => {
    const { access_token } = await loginTokens(t.app, 'grace');
    for (const offset of ['9223372036854775807', '9007199254740992', '99999999999999999999']) {
      const response = await t.app.inject({ url: `/api/users?offset=${offset}`, headers: { authorization: `Bearer ${access_token}` } });
      expect(response.statusCode, offset).toBe(400);
      expect(response.json(), offset).toEqual({ error: 'invalid_request', error_description: 'querystring.offset must be <= 9007199254740991' });
    }
    const largest = await t.app.inject({ url: '/api/users?offset=9007199254740991', headers: { authorization: `Bearer ${access_token}` } });
    expect(largest.statusCode).toBe(200);
    expect(largest.json()).toEqual([]);
  });

  it('pages /api/users with limit and offset and reports the total', async () => {
    const { access_token } = await loginTokens(t.app, 'grace');
    t.clock.advance(1000);
    await createUser(t.tessera, 'heidi');
    const response = await t.app.inject({ url: '/api/users?limit=1&offset=1', headers: { authorization: `Bearer ${access_token}` } });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toHaveLength(1);
    expect(response.json()[0].username).toBe('heidi');
    expect(response.headers['x-total-count']).toBe('2');
  });

  it.each([
    ['a NUL in the username', '{"username":"grace\\u0000","password":"x"}', 'body.username'],
    ['an unpaired surrogate in the password', '{"username":"grace","password":"x\\ud800"}', 'body.password'],
    ['a NUL in a key', '{"username":"grace","password":"x","a\\u0000":1}', 'body'],
  ])('refuses %s with 400 naming where, before any lookup', async (_what, payload, where) => {
    const response = await post('/auth/login', payload);
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({ error: 'invalid_request', error_description: `${where} holds a character that is not allowed (NUL or an unpaired UTF-16 surrogate)` });
  });

  it('refuses a NUL in a path parameter with 400, and still accepts well-formed text beyond ASCII', async () => {
    const { access_token } = await loginTokens(t.app, 'grace');
    const nul = await t.app.inject({ method: 'DELETE', url: '/api/me/devices/%00', headers: { authorization: `Bearer ${access_token}` } });
    expect(nul.statusCode).toBe(400);
    expect(nul.json().error_description).toBe('params.id holds a character that is not allowed (NUL or an unpaired UTF-16 surrogate)');
    const emoji = await post('/auth/login', JSON.stringify({ username: 'gr\u00e2ce 😀', password: 'x' }));
    expect(emoji.statusCode).toBe(401);
  });

  it('never answers 5xx to a battery of hostile requests', async () => {
    const hostile = [
      { method: 'POST', url: '/auth/login', payload: '\u0000\u0001', headers: { 'content-type': 'application/json' } },
      { method: 'POST', url: '/auth/refresh', payload: '{"refresh_token":123}', headers: { 'content-type': 'application/json' } },
      { method: 'POST', url: '/auth/refresh', payload: '{"refresh_token":"' + 'A'.repeat(3000) + '"}', headers: { 'content-type': 'application/json' } },
      { method: 'POST', url: '/auth/logout', payload: '{"refresh_token":"a.b.c"}', headers: { 'content-type': 'application/json' } },
      { method: 'GET', url: '/api/users', headers: { authorization: 'Bearer ' + 'x'.repeat(8000) } },
      { method: 'GET', url: '/api/users', headers: { authorization: 'Bearer \u00e9\u00e9.\u00e9.\u00e9' } },
      { method: 'GET', url: '/api/users', headers: { authorization: 'Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOjF9.!!!' } },
      { method: 'GET', url: '/%E0%A4%A' },
      { method: 'DELETE', url: '/api/users' },
    ] as const;
    for (const request of hostile) {
      const response = await t.app.inject(request as never);
      expect(response.statusCode, `${request.method} ${request.url}`).toBeGreaterThanOrEqual(400);
      expect(response.statusCode, `${request.method} ${request.url}`).toBeLessThan(500);
      // invalid_grant bodies also say why the refresh token was refused (reason), for clients.
      const { reason, ...body } = response.json();
      expect(Object.keys(body).sort()).toEqual(['error', 'error_description']);
      if (reason !== undefined) expect(body.error).toBe('invalid_grant');
      expect(response.body).not.toMatch(/at .*\.(ts|js):\d+/);
    }
  });
});

describe('a body too deep to read', () => {
  let t: TestInstance;
  beforeAll(async () => {
    t = await startTestInstance({ AUTH_RATE_LIMIT: '0' });
  });
  afterAll(() => t.close());

  it('is refused with 400 saying it is nested too deeply, never a 5xx or a key it does not hold', async () => {
    const admin = await adminClient(t);
    for (const deep of [`{"users":${'['.repeat(50_000)}${']'.repeat(50_000)}}`, `{"users":${'{"a":'.repeat(50_000)}1${'}'.repeat(50_000)}}`]) {
      const response = await admin.call({ method: 'POST', url: '/admin/users/import', headers: { 'content-type': 'application/json' }, payload: deep });
      expect(response.statusCode).toBe(400);
      expect(response.json()).toEqual({ error: 'invalid_request', error_description: 'The body is nested too deeply' });
    }
  });
});
