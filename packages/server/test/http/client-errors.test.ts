import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawRequest } from '../support/raw-socket.js';
import { startTestServer, type TestServer } from '../support/tessera.js';

/** The status line, the headers (lower-cased names) and the JSON body of a raw reply. */
function parse(reply: string): { status: number; headers: Record<string, string>; body: unknown } {
  const [head = '', body = ''] = reply.split('\r\n\r\n');
  const [statusLine = '', ...lines] = head.split('\r\n');
  const headers = Object.fromEntries(lines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]));
  return { status: Number(statusLine.split(' ')[1]), headers, body: JSON.parse(body) };
}

describe('requests Node cannot parse get the JSON error and the security headers', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({});
  });
  afterAll(() => server.stop());

  it.each([
    ['a malformed request line', 'GARBAGE\r\n\r\n'],
    ['a NUL in a header value', 'GET /healthz HTTP/1.1\r\nHost: tessera\r\nX-Bad: a\u0000b\r\n\r\n'],
    ['both Content-Length and Transfer-Encoding', 'POST /auth/login HTTP/1.1\r\nHost: tessera\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'],
    ['a folded header line', 'GET /healthz HTTP/1.1\r\nHost: tessera\r\nX-Folded: a\r\n b\r\n\r\n'],
  ])('answers %s with 400 invalid_request and closes', async (_what, request) => {
    const reply = parse(await rawRequest(server.url, request));
    expect(reply.status).toBe(400);
    expect(reply.body).toEqual({ error: 'invalid_request', error_description: 'The request is not valid HTTP' });
    expect(reply.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(reply.headers['x-content-type-options']).toBe('nosniff');
    expect(reply.headers.connection).toBe('close');
  });

  it('answers headers over 16 KiB with 431 header_fields_too_large', async () => {
    const reply = parse(await rawRequest(server.url, `GET /healthz HTTP/1.1\r\nHost: tessera\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`));
    expect(reply.status).toBe(431);
    expect(reply.body).toEqual({ error: 'header_fields_too_large', error_description: "The request's headers are too large" });
    expect(reply.headers['x-content-type-options']).toBe('nosniff');
  });

  it('answers an Expect other than 100-continue with 417 expectation_failed', async () => {
    const reply = parse(await rawRequest(server.url, 'GET /healthz HTTP/1.1\r\nHost: tessera\r\nExpect: 200-ok\r\n\r\n'));
    expect(reply.status).toBe(417);
    expect(reply.body).toEqual({ error: 'expectation_failed', error_description: 'Only Expect: 100-continue is supported' });
    expect(reply.headers['x-content-type-options']).toBe('nosniff');
    expect(reply.headers.connection).toBe('close');
  });

  it.each<[string, string, number, string, string]>([
    ['CONNECT, a request for a tunnel', 'CONNECT tessera:443 HTTP/1.1\r\nHost: tessera:443\r\n\r\n', 405, 'method_not_allowed', 'CONNECT is not allowed: Tessera is not a proxy'],
    ['an HTTP/1.1 request without Host', 'GET /api/me HTTP/1.1\r\n\r\n', 400, 'invalid_request', 'An HTTP/1.1 request must send a Host header'],
    [
      'a body in a coding Tessera does not decode',
      'POST /auth/login HTTP/1.1\r\nHost: tessera\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\nContent-Length: 2\r\n\r\n{}',
      415,
      'unsupported_media_type',
      'Content-Encoding "gzip" is not supported: send the body uncompressed',
    ],
    [
      'a transfer coding other than chunked',
      'POST /auth/login HTTP/1.1\r\nHost: tessera\r\nContent-Type: application/json\r\nTransfer-Encoding: gzip, chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n',
      415,
      'unsupported_media_type',
      'Transfer-Encoding "gzip, chunked" is not supported: only chunked',
    ],
    [
      'two Authorization headers',
      'GET /api/me HTTP/1.1\r\nHost: tessera\r\nAuthorization: Bearer a.b.c\r\nAuthorization: Bearer d.e.f\r\nConnection: close\r\n\r\n',
      400,
      'invalid_request',
      'Send one Authorization header, not several',
    ],
    [
      'two Host headers (RFC 9112 §3.2)',
      'GET /healthz HTTP/1.1\r\nHost: tessera\r\nHost: elsewhere.example\r\nConnection: close\r\n\r\n',
      400,
      'invalid_request',
      'Send one Host header, not several',
    ],
    ...['bad host', 'bad\thost', 'localhost, evil.example', 'user@localhost', 'localhost/path', 'localhost:99999', ''].map(
      (host) =>
        [
          `a Host that is no host (${JSON.stringify(host)})`,
          `GET /healthz HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`,
          400,
          'invalid_request',
          'The Host header must be a host name or address, with a port if any',
        ] satisfies [string, string, number, string, string],
    ),
    [
      'two Content-Type headers',
      'POST /auth/login HTTP/1.1\r\nHost: tessera\r\nContent-Type: application/json\r\ncontent-type: text/plain\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}',
      400,
      'invalid_request',
      'Send one Content-Type header, not several',
    ],
  ])('answers %s with the JSON error, never silence or an empty body', async (_what, request, status, error, description) => {
    const reply = parse(await rawRequest(server.url, request));
    expect(reply.status).toBe(status);
    expect(reply.body).toEqual({ error, error_description: description });
    expect(reply.headers['x-content-type-options']).toBe('nosniff');
  });

  it('still serves a well-formed request on the same server', async () => {
    expect(await rawRequest(server.url, 'GET /healthz HTTP/1.1\r\nHost: tessera\r\nConnection: close\r\n\r\n')).toMatch(/^HTTP\/1\.1 200 /);
    for (const host of ['localhost:5000', '[::1]:5000', 'auth.example.com', '127.0.0.1']) {
      expect(await rawRequest(server.url, `GET /healthz HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`), host).toMatch(/^HTTP\/1\.1 200 /);
    }
  });
});
