import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TesseraClient } from '../src/index.js';
import { startClientTestServer, TEST_PASSWORD, type ClientTestServer } from './support/tessera-server.js';

/** A legacy session login (`POST /api/login`), as the app did before JWTs; returns the session cookie. */
async function sessionCookie(server: ClientTestServer, username: string): Promise<string> {
  const response = await fetch(`${server.url}/api/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password: TEST_PASSWORD }),
  });
  return /session_id=[^;]+/.exec(response.headers.get('set-cookie') ?? '')![0];
}

/**
 * Node has no cookie jar: the app sends its session cookie to the exchange itself, as a browser would
 * (and, as a browser does once the exchange answer clears it, to nothing after).
 */
const withCookie = (cookie: string): typeof fetch => {
  let jar: string | undefined = cookie;
  return async (input, init) => {
    const headers = new Headers(init?.headers);
    if (jar !== undefined) headers.set('cookie', jar);
    const response = await fetch(input, { ...init, headers });
    if (/session_id=;/.test(response.headers.get('set-cookie') ?? '')) jar = undefined;
    return response;
  };
};

describe('exchangeSession()', () => {
  let server: ClientTestServer;
  beforeAll(async () => {
    server = await startClientTestServer({}, ['ada', 'bea']);
  });
  afterAll(() => server.stop());

  it('moves a session user to JWTs without the password, and the session ends', async () => {
    const cookie = await sessionCookie(server, 'ada');
    const client = new TesseraClient({ baseUrl: server.url, fetch: withCookie(cookie) });
    const events: unknown[] = [];
    client.on('signedIn', (event) => events.push(event));
    expect(await client.exchangeSession()).toEqual({ status: 'exchanged' });
    expect(events).toEqual([{ via: 'exchange' }]);
    expect((await client.fetch(`${server.url}/api/users`)).status).toBe(200);
    expect(await client.exchangeSession()).toEqual({ status: 'no_session' });
  });

  it('without a session: no_session, not an error', async () => {
    const client = new TesseraClient({ baseUrl: server.url });
    expect(await client.exchangeSession()).toEqual({ status: 'no_session' });
  });

  it('throws a TesseraClientError with the code when Tessera cannot be reached', async () => {
    const client = new TesseraClient({ baseUrl: 'http://127.0.0.1:9' });
    await expect(client.exchangeSession()).rejects.toMatchObject({ name: 'TesseraClientError', code: 'network_error' });
  });
});

describe('a user the JWT rollout does not include yet', () => {
  let server: ClientTestServer;
  beforeAll(async () => {
    server = await startClientTestServer({ JWT_ROLLOUT_PERCENT: '0' });
  });
  afterAll(() => server.stop());

  it('is told to stay on the session by exchangeSession() and login(), rather than getting an error', async () => {
    const cookie = await sessionCookie(server, 'ada');
    const client = new TesseraClient({ baseUrl: server.url, fetch: withCookie(cookie) });
    expect(await client.exchangeSession()).toEqual({ status: 'stay_on_session' });
    expect(await client.login('ada', TEST_PASSWORD)).toEqual({ status: 'stay_on_session' });
    expect(client.signedIn).toBe(false);
  });

  it('wrong credentials still throw, with the server’s code', async () => {
    const client = new TesseraClient({ baseUrl: server.url });
    await expect(client.login('ada', 'wrong password')).rejects.toMatchObject({ code: 'invalid_credentials', status: 401 });
  });
});
