import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

describe("the load generator's HTTP client", () => {
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
