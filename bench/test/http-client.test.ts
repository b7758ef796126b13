import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { HttpClient } from '../lib/http.js';

let server: Server;
let client: HttpClient;

beforeAll(async () => {
  server = createServer((request, response) => {
    if (request.url === '/json') response.setHeader('content-type', 'application/json').end('{"access_token":"abc","n":[1,2]}');
    else if (request.url === '/text') response.end('plain words');
    else response.writeHead(204).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  client = new HttpClient(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, 2);
});

afterAll(async () => {
  await client.close();
  await new Promise((resolve) => server.close(resolve));
});

afterEach(() => vi.restoreAllMocks());

describe("the load generator's HTTP client", () => {
  it('parses a reply only when its body is read, and only once', async () => {
    const parse = vi.spyOn(JSON, 'parse');
    // undici parses options of its own; count only the parses of this reply's text.
    const parsesOfReply = () => parse.mock.calls.filter(([text]) => typeof text === 'string' && text.includes('access_token')).length;
    const reply = await client.send('GET', '/json');
    expect(reply.status).toBe(200);
    expect(parsesOfReply()).toBe(0);
    void reply.body;
    void reply.body;
    expect(parsesOfReply()).toBe(1);
  });

  it('does not carry the raw reply text as a visible property', async () => {
    const reply = await client.send('GET', '/json');
    expect(JSON.stringify(reply)).not.toContain('access_token');
  });

  it('reads a JSON reply as the value it holds, the same each time', async () => {
    const reply = await client.send('GET', '/json');
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({ access_token: 'abc', n: [1, 2] });
    expect(reply.body).toBe(reply.body);
    expect(reply.ms).toBeGreaterThan(0);
  });

  it('keeps a reply that is not JSON as its text, and an empty one as null', async () => {
    expect((await client.send('GET', '/text')).body).toBe('plain words');
    const empty = await client.send('GET', '/empty');
    expect(empty.status).toBe(204);
    expect(empty.body).toBeNull();
  });
});
