import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawConnection, rawRequest, trickle } from '../support/raw-socket.js';
import { startTestServer, type TestServer } from '../support/tessera.js';

const GET_HEALTH = 'GET /healthz HTTP/1.1\r\nHost: tessera\r\nConnection: close\r\n\r\n';
const loginHeaders = (length: number) =>
  `POST /auth/login HTTP/1.1\r\nHost: tessera\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\n\r\n`;

describe('slow clients', () => {
  let server: TestServer;
  beforeAll(async () => {
    // One-second deadlines so that the cut shows in seconds; the defaults are 10 s and 30 s.
    server = await startTestServer({ HTTP_HEADERS_TIMEOUT: '1', HTTP_REQUEST_TIMEOUT: '1', MAX_CONNECTIONS_PER_IP: '3' });
  });
  afterAll(() => server.stop());

  it('cuts a client that trickles its body with 408, and serves a normal client meanwhile', async () => {
    const slow = await rawConnection(server.url);
    slow.write(loginHeaders(1_000));
    const cut = trickle(slow, 'x'.repeat(1_000), 200);
    const meanwhile = await fetch(`${server.url}/healthz`);
    expect(meanwhile.status).toBe(200);
    const reply = await cut;
    expect(reply).toMatch(/^HTTP\/1\.1 408 /);
    expect(reply).toMatch(/\{"error":"request_timeout","error_description":"The request did not arrive in time"\}$/);
  });

  it('cuts a client that never finishes its headers with 408', async () => {
    const slow = await rawConnection(server.url);
    slow.write('GET /healthz HTTP/1.1\r\nHost: tessera\r\n');
    expect(await trickle(slow, 'X-Slow: ' + 'y'.repeat(10_000), 200)).toMatch(/^HTTP\/1\.1 408 /);
  });

  it('refuses a connection past the cap of one address, while other addresses are served', async () => {
    const held = await Promise.all([1, 2, 3].map(() => rawConnection(server.url, '127.0.0.5')));
    for (const connection of held) connection.write('GET /healthz HTTP/1.1\r\nHost: tessera\r\n');
    expect(await rawRequest(server.url, GET_HEALTH, '127.0.0.5')).toBe('');
    expect(await rawRequest(server.url, GET_HEALTH, '127.0.0.6')).toMatch(/^HTTP\/1\.1 200 /);
    for (const connection of held) connection.socket.destroy();
    await Promise.all(held.map((connection) => connection.closed));
    expect(await rawRequest(server.url, GET_HEALTH, '127.0.0.5')).toMatch(/^HTTP\/1\.1 200 /);
  });

  it('answers a POST to an unknown route with 404 without waiting for its body, and closes the connection', async () => {
    const client = await rawConnection(server.url);
    client.write('POST /no/such/route HTTP/1.1\r\nHost: tessera\r\nContent-Type: application/json\r\nContent-Length: 10000\r\n\r\n{"a":');
    const reply = await client.closed;
    expect(reply).toMatch(/^HTTP\/1\.1 404 /);
    expect(reply).toMatch(/"error":"not_found"/);
    expect(reply).toMatch(/"error_description":"No route for POST \/no\/such\/route"/);
  });

  it('answers a wrong method with 405 and Allow without waiting for its body', async () => {
    const client = await rawConnection(server.url);
    client.write('POST /healthz HTTP/1.1\r\nHost: tessera\r\nContent-Type: application/json\r\nContent-Length: 10000\r\n\r\n{"a":');
    const reply = await client.closed;
    expect(reply).toMatch(/^HTTP\/1\.1 405 /);
    expect(reply).toMatch(/\r\nallow: GET/i);
    expect(reply).toMatch(/"error":"method_not_allowed"/);
  });
});

describe('answers given before the body has arrived', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ AUTH_RATE_LIMIT: '1' });
  });
  afterAll(() => server.stop());

  it('closes the connection of a rate-limited login at once instead of waiting for its body', async () => {
    const body = JSON.stringify({ username: 'nobody', password: 'not-a-password' });
    await rawRequest(server.url, `${loginHeaders(body.length).replace('\r\n\r\n', '\r\nConnection: close\r\n\r\n')}${body}`);
    const client = await rawConnection(server.url);
    client.write(loginHeaders(1_000) + '{"username":');
    const reply = await client.closed;
    expect(reply).toMatch(/^HTTP\/1\.1 429 /);
    expect(reply).toMatch(/"error":"rate_limited"/);
  });
});
